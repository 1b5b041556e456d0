"""`watch_states`, what the assessment's continuous_evaluation check reads: on or off, judged in the window,
the metrics judged, open anomalies; unknown workloads and stores without the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from rungway.anomalies.detector import DAY, HOUR
from rungway.anomalies.public import watch_states
from rungway.anomalies.service import evaluate
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from tests.anomalies.support import CONFIG, fixed_now, seed_bad_hour, seed_traffic

NOW = fixed_now()
LAST_CLOSED = NOW - 1800 - HOUR


def _seed(engine: Engine, workload: str = "test") -> None:
    seed_traffic(engine, workload, LAST_CLOSED - 6 * DAY, 6 * 24)
    seed_bad_hour(engine, workload, LAST_CLOSED)


def test_watch_states_tell_the_assessment_what_is_watched(engine: Engine) -> None:
    _seed(engine)
    seed_traffic(engine, "quiet", LAST_CLOSED - 6 * DAY, 6 * 24, seed=4)
    evaluate(engine, CONFIG, NOW)
    states = watch_states(engine, ["test", "quiet", "never"], datetime.fromtimestamp(NOW - DAY, UTC))
    test, quiet, never = states["test"], states["quiet"], states["never"]
    assert test.enabled and test.evaluated and test.last_evaluated_at == NOW
    assert "error_rate" in test.metrics and "latency_p95" in test.metrics
    assert test.open_anomalies == 1 and test.anomalies_in_window == 1
    assert quiet.enabled and quiet.evaluated and quiet.open_anomalies == 0
    assert not never.known and not never.enabled and never.last_evaluated_at is None
    later = watch_states(engine, ["test"], datetime.fromtimestamp(NOW + DAY, UTC))["test"]
    assert not later.evaluated and later.anomalies_in_window == 0 and later.open_anomalies == 1


def test_watch_states_on_a_store_without_the_tables(tmp_path: Path) -> None:
    bare = create_store_engine(f"sqlite:///{tmp_path}/bare.db")
    upgrade(bare)
    state = watch_states(bare, ["test"], datetime.now(UTC))["test"]
    assert not state.known and not state.enabled
