"""The health book and its breakers, driven directly with a fake clock (no server)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from rungway.errors import ConfigError
from rungway.gateway.context import CallContext
from rungway.gateway.routing import Attempt
from rungway.models.health.book import HealthBook
from rungway.models.health.breaker import Transition
from rungway.models.health.config import BreakerSettings, parse_failover
from rungway.settings.config import ModelRoute

PRIMARY = ModelRoute(name="primary", provider="sim", upstream_model="m-1")
CTX = cast(CallContext, None)  # the book does not read the call


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _book(**kw: Any) -> tuple[HealthBook, Clock, list[Transition]]:
    clock = Clock()
    settings = BreakerSettings(**{"window_s": 30.0, "min_calls": 4, "failure_rate": 0.5, "cooldown_s": 10.0, **kw})
    book = HealthBook(settings, clock)
    seen: list[Transition] = []
    book.listen(seen.append)
    return book, clock, seen


def _try(book: HealthBook, outcome: str, latency_ms: float = 20.0, route: ModelRoute = PRIMARY) -> None:
    book.finished(CTX, Attempt(deployment=route, index=0, started=0.0, latency_ms=latency_ms, outcome=outcome))


def test_opens_only_with_enough_calls_and_failures() -> None:
    book, _clock, seen = _book()
    for _ in range(3):
        _try(book, "5xx")
    assert book.state("primary") == "closed"  # 3 < min_calls
    _try(book, "ok")
    assert book.state("primary") == "closed"  # 3 of 4 failed, but the last try succeeded: judged on failures
    _try(book, "timeout")
    assert book.state("primary") == "open"
    assert [(t.before.value, t.after.value, t.cause) for t in seen] == [("closed", "open", "traffic")]
    assert book.admit("primary", 0.0) is False


def test_caller_errors_do_not_count() -> None:
    book, _clock, _seen = _book()
    for _ in range(10):
        _try(book, "4xx")
        _try(book, "cancelled")
        _try(book, "skipped")
    assert book.state("primary") == "closed"
    assert book.snapshot()[0].calls == 10


def test_half_open_admits_only_the_probes_and_closes_on_success() -> None:
    book, clock, seen = _book(probes=2)
    for _ in range(4):
        _try(book, "5xx")
    assert book.admit("primary", 0.0) is False
    clock.now += 10.0
    assert book.state("primary") == "half-open"
    assert book.admit("primary", 0.0) is True
    assert book.admit("primary", 0.0) is True
    assert book.admit("primary", 0.0) is False  # only the probes
    _try(book, "ok")
    assert book.state("primary") == "half-open"
    _try(book, "ok")
    assert book.state("primary") == "closed"
    assert [t.after.value for t in seen] == ["open", "half-open", "closed"]
    assert book.snapshot()[0].calls == 0  # a closed circuit starts afresh
    _try(book, "5xx")
    assert book.state("primary") == "closed"


def test_a_failed_probe_reopens_for_another_cooldown() -> None:
    book, clock, seen = _book()
    for _ in range(4):
        _try(book, "connect")
    clock.now += 10.0
    assert book.admit("primary", 0.0) is True
    _try(book, "timeout")
    assert book.state("primary") == "open"
    clock.now += 9.0
    assert book.admit("primary", 0.0) is False
    clock.now += 1.0
    assert book.admit("primary", 0.0) is True
    assert [t.after.value for t in seen] == ["open", "half-open", "open", "half-open"]


def test_a_cancelled_probe_frees_its_slot() -> None:
    book, clock, _seen = _book()
    for _ in range(4):
        _try(book, "5xx")
    clock.now += 10.0
    assert book.admit("primary", 0.0) is True
    assert book.admit("primary", 0.0) is False
    _try(book, "cancelled")
    assert book.admit("primary", 0.0) is True


def test_slow_calls_count_as_failures_and_old_failures_leave_the_window() -> None:
    book, clock, _seen = _book(slow_call_s=1.0)
    for _ in range(3):
        _try(book, "ok", latency_ms=1500)
    clock.now += 31.0  # out of the window
    _try(book, "ok")
    _try(book, "ok", latency_ms=1500)
    assert book.state("primary") == "closed"
    for _ in range(3):
        _try(book, "ok", latency_ms=2000)
    assert book.state("primary") == "open"
    assert book.snapshot()[0].slow == 4


def test_latency_view_and_other_deployments_untouched() -> None:
    book, _clock, _seen = _book()
    other = ModelRoute(name="fallback", provider="sim", upstream_model="m-2")
    assert book.latency_ms("fallback") is None
    _try(book, "ok", latency_ms=100, route=other)
    _try(book, "ok", latency_ms=200, route=other)
    latency = book.latency_ms("fallback")
    assert latency is not None and 100 < latency < 200
    for _ in range(4):
        _try(book, "5xx")
    assert book.state("fallback") == "closed"
    assert book.admit("fallback", 0.0) is True
    assert book.admit("unknown", 0.0) is True


def test_shared_open_and_deltas() -> None:
    book, clock, seen = _book()
    _try(book, "5xx")
    _try(book, "ok")
    assert book.take_deltas() == {"primary": (2, 1)}
    assert book.take_deltas() == {}
    assert book.open_for("primary", 5.0) is True
    assert book.open_for("primary", 3.0) is False  # already open that long
    assert seen[-1].cause == "shared"
    clock.now += 5.0
    assert book.admit("primary", 0.0) is True


def test_config_defaults_and_errors() -> None:
    assert parse_failover(None).breaker == BreakerSettings()
    parsed = parse_failover(
        {"breaker": {"window": "10s", "min_calls": 3, "cooldown": 5, "probes": 2}, "drills": {"fault_switches": True}}
    )
    assert parsed.breaker.window_s == 10.0 and parsed.breaker.probes == 2 and parsed.drills.fault_switches
    with pytest.raises(ConfigError, match="failure_rate"):
        parse_failover({"breaker": {"failure_rate": 2}})
    with pytest.raises(ConfigError, match="coldown"):
        parse_failover({"breaker": {"coldown": "5s"}})
    with pytest.raises(ConfigError, match="fault_switches"):
        parse_failover({"drills": {"fault_switches": "yes"}})


def test_failures_in_a_row_open_a_circuit_that_was_busy_and_healthy() -> None:
    book, _clock, _seen = _book(min_calls=4)
    for _ in range(100):
        _try(book, "ok")
    for _ in range(3):
        _try(book, "5xx")
    _try(book, "ok")  # a success breaks the run
    for _ in range(3):
        _try(book, "5xx")
    assert book.state("primary") == "closed"  # 6 of 107 failed, never 4 in a row
    _try(book, "timeout")
    assert book.state("primary") == "open"
