"""Semantic hits re-asked upstream in the background: each check stored with its score; a workload whose hit
precision falls under its bar has its threshold raised or its semantic layer paused, for every replica."""

from __future__ import annotations

import time
from collections.abc import Callable

from rungway.caching.runtime import CACHE
from rungway.caching.store import hit_checks, load_semantic_states
from tests.caching.support import CHECKED_CONFIG
from tests.servers import Gateway


def _checked(
    gateway_factory: Callable[..., Gateway], spec: str, action: str = "raise_threshold", cap: float = 1.0
) -> Gateway:
    text = CHECKED_CONFIG.replace("{assert_spec}", spec).replace("{action}", action).replace("{cap}", f"{cap:.9f}")
    return gateway_factory(text)


def _semantic_hits(gateway: Gateway, secret: str, count: int) -> None:
    client = gateway.sdk(secret)
    question = [{"role": "user", "content": "How do I reset my password?"}]
    client.chat.completions.create(model="gpt-4o-mini", messages=question)
    gateway.flush()
    for n in range(count):  # another max_tokens: another exact key, the same prompt: a semantic hit
        raw = client.chat.completions.with_raw_response.create(
            model="gpt-4o-mini", messages=question, max_tokens=200 + n
        )
        assert raw.headers["x-rungway-cache"] == "hit"


def _settle(gateway: Gateway) -> None:
    checker = gateway.state.slots[CACHE].checker
    deadline = time.monotonic() + 30
    while not checker.idle and time.monotonic() < deadline:
        time.sleep(0.01)
    assert checker.idle
    gateway.flush()


def test_each_sampled_semantic_hit_is_checked_and_stored(gateway_factory: Callable[..., Gateway]) -> None:
    gateway = _checked(gateway_factory, "{type: length, value: {max: 100000}}")  # every answer passes
    _semantic_hits(gateway, gateway.create_key("test").secret, 3)
    _settle(gateway)
    checks = hit_checks(gateway.state.engine, "test", 0)
    assert len(checks) == 3 and all(c.passed and c.similarity >= 0.9 and c.cost_nano > 0 for c in checks)
    assert load_semantic_states(gateway.state.engine) == {}


def test_low_precision_raises_the_threshold_for_every_replica(gateway_factory: Callable[..., Gateway]) -> None:
    gateway = _checked(gateway_factory, "{type: equals, value: 'never this'}")  # every check fails
    _semantic_hits(gateway, gateway.create_key("test").secret, 2)
    _settle(gateway)
    states = load_semantic_states(gateway.state.engine)
    assert states["test"].threshold == 0.92 and not states["test"].paused
    assert "precision 0/2" in states["test"].reason
    assert gateway.state.slots[CACHE].threshold("test", 0.9) == 0.92


def test_low_precision_pauses_the_semantic_layer_when_told_to(gateway_factory: Callable[..., Gateway]) -> None:
    gateway = _checked(gateway_factory, "{type: equals, value: 'never this'}", action="pause")
    secret = gateway.create_key("test").secret
    _semantic_hits(gateway, secret, 2)
    _settle(gateway)
    assert load_semantic_states(gateway.state.engine)["test"].paused
    raw = gateway.sdk(secret).chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "How do I reset my password?"}], max_tokens=999
    )
    assert raw.headers["x-rungway-cache"] == "miss"  # paused: the similar prompt is not served


def test_the_daily_cost_cap_stops_the_checks(gateway_factory: Callable[..., Gateway]) -> None:
    gateway = _checked(gateway_factory, "{type: length, value: {max: 100000}}", cap=1e-9)  # one check costs more
    _semantic_hits(gateway, gateway.create_key("test").secret, 4)
    _settle(gateway)
    checker = gateway.state.slots[CACHE].checker
    assert len(hit_checks(gateway.state.engine, "test", 0)) == 1  # the first one spent the day's cap
    assert checker.capped == 3
