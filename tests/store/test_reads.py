"""Management reads (store/reads.py): recorded by the API through the writer and by the CLI, counted per workload."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest
from sqlalchemy import create_engine

from rungway.capability import migration_packages
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.reads import insert_reads, new_read, reads_by_workload, record_read
from tests.api.http import call
from tests.servers import Gateway


def test_reads_are_counted_per_workload_and_kind_within_the_window(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    old = new_read("logs", "alpha", "cli")
    insert_reads(engine, [new_read("logs", "alpha", "api", "key_1"), new_read("usage", "alpha", "cli")])
    insert_reads(engine, [new_read("cost_report", None, "api"), old])
    counted = reads_by_workload(engine, time.time() - 60, ("logs", "usage", "cost_report"))
    assert counted == {"alpha": {"logs": 2, "usage": 1}, None: {"cost_report": 1}}
    assert reads_by_workload(engine, time.time() + 60, ("logs",)) == {}
    assert reads_by_workload(engine, time.time() - 60, ("traces",)) == {}


def test_an_unknown_kind_of_read_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown management read"):
        new_read("dashboards-someday", "alpha", "api")


def test_a_store_that_refuses_the_read_record_does_not_fail_the_read(
    tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/empty.db")  # no tables: the insert fails
    with caplog.at_level(logging.WARNING, logger="rungway.store.reads"):
        record_read(engine, "logs", "alpha")
    assert "could not record the logs read" in caplog.text


def test_an_api_read_is_recorded_off_the_answer_with_the_reading_key(
    gateway_factory: Callable[..., Gateway],
) -> None:
    gw = gateway_factory()
    key = gw.create_key("test")
    status, _ = call(gw, "GET", "/api/usage?by=user", key.secret, None)
    assert status == 200
    gw.flush()
    assert reads_by_workload(gw.state.engine, time.time() - 60, ("usage",)) == {"test": {"usage": 1}}
