"""The workloads table (`store/workloads.py`) on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine

from rungway.capability import migration_packages
from rungway.domain.workloads import ContentCapture, RiskTier, Workload
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.workloads import (
    create_workload,
    get_workload,
    list_workloads,
    upsert_workload,
    workloads_changed_since,
)


@pytest.fixture
def engine(store_url: str) -> Engine:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    return engine


def test_a_workload_is_read_back_whole(engine: Engine) -> None:
    workload = Workload("bot", "answers", "qa", "acme", RiskTier.REGULATED, ContentCapture.REDACTED, 30, 60, 1000, 5.0)
    assert create_workload(engine, workload)
    assert get_workload(engine, "bot") == workload
    assert get_workload(engine, "none") is None


def test_creating_a_taken_name_changes_nothing(engine: Engine) -> None:
    assert create_workload(engine, Workload("bot", team="qa"))
    assert not create_workload(engine, Workload("bot", team="other"))
    stored = get_workload(engine, "bot")
    assert stored is not None and stored.team == "qa"


def test_upsert_creates_or_changes_and_is_seen_as_changed(engine: Engine) -> None:
    since = time.time()
    upsert_workload(engine, Workload("b", team="qa"))
    upsert_workload(engine, Workload("a"))
    upsert_workload(engine, Workload("b", team="ops", rpm_limit=5))
    stored = get_workload(engine, "b")
    assert stored is not None and (stored.team, stored.rpm_limit) == ("ops", 5)
    assert [w.name for w in list_workloads(engine)] == ["a", "b"]
    assert sorted(w.name for w in workloads_changed_since(engine, since)) == ["a", "b"]
    assert workloads_changed_since(engine, time.time() + 1) == []
