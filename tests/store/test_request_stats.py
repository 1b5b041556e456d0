"""The hourly roll-up of the request log on SQLite and PostgreSQL: each closed hour once, late calls recounted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from rungway.domain.records import RequestRecord
from rungway.services.overview import RollupTracker, roll_up_once, usage_totals
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.request_stats import (
    HOUR,
    bucket_upper_ms,
    refresh_request_hourly,
    request_hourly,
    reroll_request_hourly,
    rollup_watermark,
)
from rungway.store.requests import insert_requests

T0 = 1_764_000_000.0  # hour-aligned


def _call(i: int, ts: float, latency_ms: float = 50.0) -> RequestRecord:
    return RequestRecord(id=f"req_{i:08d}", ts_start=ts, ts_end=ts, workload="bot", key_id="k", user=None,
                         team=None, latency_ms=latency_ms, cost_nano=7)  # fmt: skip


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    made = create_store_engine(store_url)
    upgrade(made, [])
    try:
        yield made
    finally:
        made.dispose()


def test_each_closed_hour_is_rolled_up_once_after_the_slack(engine: Engine) -> None:
    insert_requests(engine, [_call(i, T0 + i * 600) for i in range(12)])  # two hours, six calls each
    assert refresh_request_hourly(engine, T0 + 2 * HOUR + 599) == 1  # the second hour closed < 10 min ago
    assert refresh_request_hourly(engine, T0 + 2 * HOUR + 600) == 1
    assert refresh_request_hourly(engine, T0 + 2 * HOUR + 600) == 0  # a second process finds nothing to do
    assert rollup_watermark(engine) == T0 + 2 * HOUR
    with engine.connect() as conn:
        rows = conn.execute(select(request_hourly.c.bucket, request_hourly.c.requests)).all()
    assert sorted(rows) == [(T0, 6), (T0 + HOUR, 6)]


def test_late_calls_in_a_rolled_up_hour_are_counted_after_a_reroll(engine: Engine) -> None:
    insert_requests(engine, [_call(i, T0 + i * 600) for i in range(6)])
    refresh_request_hourly(engine, T0 + 3 * HOUR)
    late = [_call(100, T0 + 30), _call(101, T0 + 40)]
    insert_requests(engine, late)  # a spill file replayed after an outage
    assert usage_totals(engine, T0, T0 + HOUR)["bot"].requests == 6  # the roll-up does not know yet
    assert reroll_request_hourly(engine, T0 + 30, T0 + 3 * HOUR) == 2  # up to the watermark
    assert usage_totals(engine, T0, T0 + HOUR)["bot"].requests == 8


def test_the_server_notes_late_batches_and_recounts_their_hours(engine: Engine) -> None:
    tracker = RollupTracker()
    first = [_call(i, T0 + i * 600) for i in range(6)]
    insert_requests(engine, first)
    tracker.saw(first)
    roll_up_once(engine, tracker, T0 + 3 * HOUR)
    late = [_call(100, T0 + 30)]
    insert_requests(engine, late)
    tracker.saw(late)
    roll_up_once(engine, tracker, T0 + 3 * HOUR + 60)
    assert usage_totals(engine, T0, T0 + HOUR)["bot"].requests == 7
    assert tracker.take() is None


def test_a_reroll_before_any_roll_up_does_nothing(engine: Engine) -> None:
    assert reroll_request_hourly(engine, T0, T0 + HOUR) == 0


def test_histogram_bucket_edges_are_increasing() -> None:
    edges = [bucket_upper_ms(i) for i in range(115)]
    assert edges == sorted(edges) and len(set(edges)) == 115
    assert (edges[0], edges[19], edges[20], edges[55], edges[56], edges[91], edges[92], edges[113]) == (
        5.0, 100.0, 125.0, 1000.0, 1250.0, 10_000.0, 15_000.0, 120_000.0,
    )  # fmt: skip
