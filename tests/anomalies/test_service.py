"""The evaluation over a real store (SQLite and PostgreSQL): the roll-up, an anomaly opened once with its
dimension and traces, judged once across replicas, resolved by calm hours, workloads turned off, and the
watch states `rungway.anomalies.public` gives the assessment."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from rungway.anomalies import store
from rungway.anomalies.config import WorkloadWatch
from rungway.anomalies.detector import DAY, HOUR
from rungway.anomalies.public import watch_states
from rungway.anomalies.rollup import refresh_anomaly_hourly
from rungway.anomalies.service import anomaly_series, evaluate
from tests.anomalies.support import CONFIG, fixed_now, seed_bad_hour, seed_online_scores, seed_traffic

NOW = fixed_now()
LAST_CLOSED = NOW - 1800 - HOUR


def _seed(engine: Engine, workload: str = "test") -> None:
    seed_traffic(engine, workload, LAST_CLOSED - 6 * DAY, 6 * 24)
    seed_bad_hour(engine, workload, LAST_CLOSED)


def test_an_error_spike_opens_one_anomaly_naming_the_model_with_traces(engine: Engine) -> None:
    _seed(engine)
    changes = evaluate(engine, CONFIG, NOW)
    opened = [c.anomaly for c in changes if c.kind == "opened"]
    assert [a.metric for a in opened] == ["error_rate"]
    a = opened[0]
    assert a.opened_at == LAST_CLOSED and a.status == "open" and a.expected < 0.1 and a.value > 0.4
    assert (a.dimension, a.dimension_value) == ("model", "gpt-4o")
    assert 1 <= len(a.traces) <= 5
    assert store.list_anomalies(engine, "test", "open", 10) == [a]
    assert evaluate(engine, CONFIG, NOW) == []  # the hour is judged once
    series = anomaly_series(engine, a, CONFIG.settings_for("test"))
    assert series[-1].hour == LAST_CLOSED and series[-1].z is not None and series[-1].z >= 5


def test_two_replicas_judge_an_hour_once(engine: Engine) -> None:
    _seed(engine)
    refresh_anomaly_hourly(engine, NOW, CONFIG.baseline_weeks)
    store.upsert_watch(engine, "test", True, NOW)
    from rungway.anomalies.service import evaluate_workload

    settings = CONFIG.settings_for("test")
    first = evaluate_workload(engine, "test", settings, LAST_CLOSED + HOUR, NOW)
    second = evaluate_workload(engine, "test", settings, LAST_CLOSED + HOUR, NOW)
    assert len(first) == 1 and second == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(store.anomalies)).scalar() == 1


def test_calm_hours_resolve_the_anomaly(engine: Engine) -> None:
    _seed(engine)
    evaluate(engine, CONFIG, NOW)
    seed_traffic(engine, "test", LAST_CLOSED + HOUR, 4, seed=9)
    changes = evaluate(engine, CONFIG, NOW + 4 * HOUR)
    assert [c.kind for c in changes] == ["resolved"]
    resolved = store.list_anomalies(engine, "test", None, 10)
    assert len(resolved) == 1 and resolved[0].status == "resolved"
    assert resolved[0].resolved_at == LAST_CLOSED + 4 * HOUR


def test_a_workload_turned_off_is_not_judged(engine: Engine) -> None:
    _seed(engine)
    off = dataclasses.replace(CONFIG, workloads={"test": WorkloadWatch(enabled=False)})
    assert evaluate(engine, off, NOW) == []
    states = watch_states(engine, ["test"], datetime.fromtimestamp(NOW - DAY, UTC))
    assert states["test"].known and not states["test"].enabled and not states["test"].evaluated


def test_a_falling_online_score_is_an_anomaly(engine: Engine) -> None:
    seed_traffic(engine, "test", LAST_CLOSED - 6 * DAY, 6 * 24 + 1)
    seed_online_scores(engine, "test", LAST_CLOSED - 6 * DAY, 6 * 24 + 1, drop_at=LAST_CLOSED)
    changes = evaluate(engine, CONFIG, NOW)
    assert [c.anomaly.metric for c in changes] == ["score:helpfulness"]
    a = changes[0].anomaly
    assert a.value < 0.4 and 0.75 < a.expected < 0.85 and a.dimension is None and a.traces == ()


def test_an_anomaly_whose_traffic_stops_resolves(engine: Engine) -> None:
    _seed(engine)
    evaluate(engine, CONFIG, NOW)
    changes = evaluate(engine, CONFIG, NOW + 4 * HOUR)  # no call in the three hours since
    assert [(c.kind, c.anomaly.metric) for c in changes] == [("resolved", "error_rate")]
