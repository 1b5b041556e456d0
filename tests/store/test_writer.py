"""The batch writer: bounded, never blocks, counts overflow, drains on close into the real store."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from rungway.capability import migration_packages
from rungway.domain.records import RequestRecord
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.requests import insert_requests
from rungway.store.schema import requests
from rungway.store.writer import BatchWriter


def record(i: int) -> RequestRecord:
    now = time.time()
    return RequestRecord(id=f"req_{i:08d}", ts_start=now, ts_end=now, workload="w", key_id="k", user=None, team=None)


def test_overflow_is_refused_and_counted_and_close_drains_everything(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    gate = threading.Event()

    def slow_sink(batch: list[RequestRecord]) -> None:
        gate.wait(10)
        insert_requests(engine, batch)

    writer: BatchWriter[RequestRecord] = BatchWriter(
        "requests", slow_sink, max_queue=50, batch_size=10, flush_interval_s=0.01
    )
    writer.start()
    accepted = sum(writer.offer(record(i)) for i in range(100))
    assert writer.dropped == 100 - accepted
    assert 50 <= accepted <= 60  # at most one batch left the queue before the sink blocked
    gate.set()
    writer.close()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(requests)).scalar_one() == accepted
    assert writer.written == accepted and writer.lost_on_close == 0
    engine.dispose()


def test_a_failing_sink_is_retried_until_it_succeeds(sqlite_url: str) -> None:
    engine = create_store_engine(sqlite_url)
    upgrade(engine, migration_packages())
    failures = []

    def flaky_sink(batch: list[RequestRecord]) -> None:
        if len(failures) < 2:
            failures.append(1)
            raise RuntimeError("database is restarting")
        insert_requests(engine, batch)

    writer: BatchWriter[RequestRecord] = BatchWriter("requests", flaky_sink, batch_size=5, flush_interval_s=0.01)
    writer.start()
    for i in range(12):
        assert writer.offer(record(i))
    assert writer.flush(10)
    writer.close()
    assert writer.failed_batches == 2
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(requests)).scalar_one() == 12
    engine.dispose()
