"""The SLO tables on SQLite and PostgreSQL: alert episodes move once (compare-and-set), a snapshot period is
stored once, and deleting an SLO takes its roll-up, snapshots and alert state with it."""

from __future__ import annotations

import time

from sqlalchemy import Engine, func, select

from rungway.slos import store
from rungway.slos.burn import BURN_WINDOWS, Counts, status_of
from rungway.slos.model import check_slo


def _engine(store_url: str) -> Engine:
    from tests.slos.support import open_store

    return open_store(store_url)


def test_an_episode_begins_and_ends_once(store_url: str) -> None:
    engine = _engine(store_url)
    now = time.time()
    assert store.begin_episode(engine, "test", "avail", "page-1h", now) == 1
    assert store.begin_episode(engine, "test", "avail", "page-1h", now) is None  # already firing
    assert store.firing_tiers(engine, "test", "avail") == {"page-1h"}
    assert store.end_episode(engine, "test", "avail", "page-1h", now) == 1
    assert store.end_episode(engine, "test", "avail", "page-1h", now) is None  # already quiet
    assert store.begin_episode(engine, "test", "avail", "page-1h", now) == 2


def test_a_snapshot_period_is_stored_once_and_delete_takes_everything(store_url: str) -> None:
    engine = _engine(store_url)
    now = time.time()
    slo = check_slo("test", "avail", {"kind": "availability", "objective": 0.99})
    store.put_definition(engine, slo, "api", "ann", now)
    status = status_of(now, 0.99, Counts(99, 100), {s: Counts() for s in BURN_WINDOWS})
    assert store.write_snapshot(engine, slo, status, 600.0) is True
    assert store.write_snapshot(engine, slo, status, 600.0) is False  # another replica, same period
    [snapshot] = store.read_snapshots(engine, "test", "avail", 0, 10)
    assert (snapshot.good, snapshot.total, snapshot.sli) == (99, 100, 0.99)
    store.begin_episode(engine, "test", "avail", "page-1h", now)
    assert store.delete_definition(engine, "test", "avail") is True
    assert store.delete_definition(engine, "test", "avail") is False
    with engine.connect() as conn:
        for table in (store.slo_snapshots, store.slo_alert_state, store.slo_definitions):
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0
