"""The anomaly tables' reads and writes on both stores: an episode stored once, reads scoped to a workload."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Engine

from rungway.anomalies import store
from rungway.anomalies.model import Anomaly


def _anomaly(workload: str = "test", anomaly_id: str = "anom_1") -> Anomaly:
    return Anomaly(anomaly_id, workload, "error_rate", "open", 3600.0, 3600.0, None, 0.5, 0.02, 9.0, 9.0, "jump", 0,
                   "model", "gpt-4o", {"dimension": "model"}, ("t1", "t2"), 4000.0)  # fmt: skip


def test_an_episode_is_stored_once_and_updated(engine: Engine) -> None:
    a = _anomaly()
    with engine.begin() as conn:
        assert store.insert_anomaly(conn, a)
        assert not store.insert_anomaly(conn, a)  # another replica's copy of the same episode
    resolved = replace(a, status="resolved", resolved_at=7200.0)
    with engine.begin() as conn:
        store.update_anomaly(conn, resolved)
    assert store.get_anomaly(engine, "test", "anom_1") == resolved
    assert store.list_anomalies(engine, None, "open", 10) == []


def test_reads_are_scoped_to_the_workload(engine: Engine) -> None:
    with engine.begin() as conn:
        store.insert_anomaly(conn, _anomaly("a", "anom_a"))
        store.insert_anomaly(conn, _anomaly("b", "anom_b"))
    assert store.get_anomaly(engine, "b", "anom_a") is None
    assert store.get_anomaly(engine, None, "anom_a") is not None
    assert [x.id for x in store.list_anomalies(engine, "a", None, 10)] == ["anom_a"]
    assert {x.id for x in store.list_anomalies(engine, None, None, 10)} == {"anom_a", "anom_b"}
    with engine.connect() as conn:
        assert set(store.open_anomalies(conn, "a")) == {"error_rate"}


def test_the_judged_through_mark_moves_once(engine: Engine) -> None:
    store.upsert_watch(engine, "w", True, 1.0)
    store.upsert_watch(engine, "w", False, 2.0)
    assert not store.read_watch(engine)["w"].enabled
    with engine.begin() as conn:
        assert store.claim_hours(conn, "w", None, 3600.0, ["error_rate"], 5.0)
    with engine.begin() as conn:
        assert not store.claim_hours(conn, "w", None, 3600.0, ["error_rate"], 6.0)
    row = store.read_watch(engine, ["w"])["w"]
    assert (row.judged_through, row.evaluated_at, row.metrics) == (3600.0, 5.0, ("error_rate",))
