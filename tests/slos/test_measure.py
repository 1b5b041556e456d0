"""SLIs and burn rates measured from seeded request logs and online scores, against hand-computed values, on
SQLite and PostgreSQL, with the hourly roll-up and without it (the same numbers)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, insert, select

from rungway.evals.scores.store import eval_scores
from rungway.slos import store
from rungway.slos.measure import evaluate, refresh_rollup
from rungway.slos.model import check_slo
from rungway.slos.store import slo_hourly
from tests.slos.support import calls, open_store, spread

HOUR, DAY, MIN = 3600.0, 86400.0, 60.0


@pytest.fixture
def engine(store_url: str) -> Engine:
    return open_store(store_url)


def _seed_availability(engine: Engine, now: float) -> None:
    """1380 valid calls over 30 days, 24 bad (5xx), placed so each burn window's share is known by hand."""
    calls(engine, "test", spread(1000, 4 * DAY, 29 * DAY), now=now)  # older than 3d, all good
    calls(engine, "test", spread(190, 1.5 * DAY, 2.5 * DAY), now=now)
    calls(engine, "test", spread(10, 1.5 * DAY, 2.5 * DAY), status=502, now=now)  # 3d: +200, 10 bad
    calls(engine, "test", spread(100, 8 * HOUR, 20 * HOUR), now=now)  # 1d: +100
    calls(engine, "test", spread(45, 3 * HOUR, 5 * HOUR), now=now)
    calls(engine, "test", spread(5, 3 * HOUR, 5 * HOUR), status=503, now=now)  # 6h: +50, 5 bad
    calls(engine, "test", spread(16, 40 * MIN, 50 * MIN), now=now)
    calls(engine, "test", spread(4, 40 * MIN, 50 * MIN), status=500, now=now)  # 1h: +20, 4 bad
    calls(engine, "test", spread(5, 1 * MIN, 4 * MIN), now=now)
    calls(engine, "test", spread(5, 1 * MIN, 4 * MIN), status=504, now=now)  # 5m: 10, 5 bad
    calls(engine, "test", spread(30, 1 * MIN, 50 * MIN), status=429, now=now)  # the caller's: not events
    calls(engine, "test", spread(30, 1 * MIN, 50 * MIN), status=400, now=now)
    calls(engine, "other", spread(50, 1 * MIN, 50 * MIN), status=500, now=now)  # another workload's


@pytest.mark.parametrize("rolled_up", [False, True], ids=["live", "rolled-up"])
def test_availability_sli_budget_and_burn_rates_match_the_hand_computed_values(engine: Engine, rolled_up: bool) -> None:
    now = time.time()
    _seed_availability(engine, now)
    definition = store.put_definition(engine, check_slo("test", "avail", {"kind": "availability", "objective": 99}),
                                      "api", None, now)  # fmt: skip
    if rolled_up:
        assert refresh_rollup(engine, definition, now) > 0
        with engine.connect() as conn:
            assert conn.execute(select(slo_hourly.c.total)).first() is not None
    status = evaluate(engine, definition, now)
    assert (status.window.good, status.window.total) == (1356, 1380)
    assert status.sli == pytest.approx(1356 / 1380)
    assert status.budget_remaining == pytest.approx(1 - 24 / (0.01 * 1380))
    expected = {"5m": 50.0, "30m": 50.0, "1h": 30.0, "2h": 30.0, "6h": 17.5, "1d": 14 / 180 * 100,
                "3d": 24 / 380 * 100}  # fmt: skip
    assert status.burn == pytest.approx(expected)
    assert status.firing == ("page-1h", "page-6h", "ticket-1d", "ticket-3d")


def test_a_latency_slo_counts_successful_calls_under_the_threshold(engine: Engine) -> None:
    now = time.time()
    calls(engine, "test", spread(30, HOUR, 2 * DAY), latency_ms=800, now=now)
    calls(engine, "test", spread(10, HOUR, 2 * DAY), latency_ms=2500, now=now)
    calls(engine, "test", spread(10, HOUR, 2 * DAY), latency_ms=50, status=502, now=now)  # failed: not latency's
    calls(engine, "test", spread(10, HOUR, 2 * DAY), latency_ms=50, model="other-model", now=now)
    total = check_slo("test", "fast", {"kind": "latency", "objective": 0.9, "threshold_ms": 1000,
                                       "model": "gpt-4o-mini"})  # fmt: skip
    status = evaluate(engine, store.put_definition(engine, total, "api", None, now), now)
    assert (status.window.good, status.window.total) == (30, 40)
    assert status.burn["1d"] == pytest.approx((10 / 40) / 0.1, rel=0.2)
    calls(engine, "test", spread(4, HOUR, 2 * HOUR), latency_ms=3000, ttft_ms=300, now=now)
    calls(engine, "test", spread(1, HOUR, 2 * HOUR), latency_ms=3000, ttft_ms=1300, now=now)
    ttft = check_slo("test", "first-token", {"kind": "latency", "objective": 0.9, "threshold_ms": 1000,
                                             "measure": "ttft"})  # fmt: skip
    status = evaluate(engine, store.put_definition(engine, ttft, "api", None, now), now)
    assert (status.window.good, status.window.total) == (4, 5)  # only streamed calls have a first token


def test_a_quality_slo_counts_passing_online_scores(engine: Engine) -> None:
    now = time.time()
    rows = [(f"s{i}", "helpfulness", "online", 1.0 if i < 8 else 0.2) for i in range(10)]
    rows += [(f"f{i}", "helpfulness", "feedback", 0.0) for i in range(5)]  # not online
    rows += [(f"t{i}", "toxicity", "online", 0.0) for i in range(5)]  # another score
    with engine.begin() as conn:
        conn.execute(insert(eval_scores), [
            {"workload": "test", "id": i, "name": name, "data_type": "numeric", "value": value, "source": source,
             "author": "judge", "created_at": now - 2 * HOUR, "trace_id": "0" * 32}
            for i, name, source, value in rows
        ])  # fmt: skip
    slo = check_slo("test", "helpful", {"kind": "quality", "objective": 0.9, "score": "helpfulness",
                                        "pass_threshold": 0.7})  # fmt: skip
    status = evaluate(engine, store.put_definition(engine, slo, "api", None, now), now)
    assert (status.window.good, status.window.total) == (8, 10)
    assert status.burn["6h"] == pytest.approx(2.0) and status.burn["1h"] == 0.0
    every = check_slo("test", "any-score", {"kind": "quality", "objective": 0.9})
    status = evaluate(engine, store.put_definition(engine, every, "api", None, now), now)
    assert (status.window.good, status.window.total) == (8, 15)


def test_the_rollup_moves_once_and_a_changed_slo_starts_a_new_series(engine: Engine) -> None:
    now = time.time()
    calls(engine, "test", spread(48, 2 * HOUR, 2 * DAY), now=now)
    slo = check_slo("test", "avail", {"kind": "availability", "objective": 0.99})
    first = store.put_definition(engine, slo, "api", None, now)
    assert refresh_rollup(engine, first, now) > 0
    assert refresh_rollup(engine, first, now) == 0  # nothing new: a second replica adds nothing
    assert store.put_definition(engine, slo, "api", None, now).series == first.series  # unchanged spec
    changed = store.put_definition(engine, check_slo("test", "avail", {"kind": "availability", "objective": 0.95}),
                                   "api", None, now)  # fmt: skip
    assert changed.series != first.series
    with engine.connect() as conn:
        assert conn.execute(select(slo_hourly).where(slo_hourly.c.series == first.series)).first() is None
    assert evaluate(engine, changed, now).window.total == 48
