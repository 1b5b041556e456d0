"""The roll-ups' shared watermark: each hour rolled up once, from the oldest call, whoever runs it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Connection, Engine, Float, MetaData, String, Table

from rungway.domain.records import RequestRecord
from rungway.domain.timespec import HOUR
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.requests import insert_requests
from rungway.store.rollup import HourlyRollup, Writer, closed_hour

T0 = 1_764_000_000.0  # hour-aligned
_meta = MetaData()
STATE = Table("test_rollup_state", _meta, Column("name", String(32), primary_key=True), Column("watermark", Float))


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    made = create_store_engine(store_url)
    upgrade(made, [])
    _meta.drop_all(made)
    _meta.create_all(made)
    try:
        yield made
    finally:
        _meta.drop_all(made)
        made.dispose()


def _calls(engine: Engine, *starts: float) -> None:
    insert_requests(
        engine,
        [
            RequestRecord(id=f"req_{i:04d}", ts_start=t, ts_end=t, workload="w", key_id="k", user=None, team=None)
            for i, t in enumerate(starts)
        ],
    )


def test_the_first_roll_up_starts_at_the_oldest_calls_hour_and_rolls_each_hour_once(engine: Engine) -> None:
    _calls(engine, T0 + 1800, T0 + 3 * HOUR + 5)
    rollup = HourlyRollup(STATE, "calls")
    assert rollup.watermark(engine) is None
    ranges: list[tuple[float, float]] = []

    def prepare(start: float, end: float) -> Writer:
        ranges.append((start, end))
        return lambda conn: None

    assert rollup.advance(engine, T0 + 5 * HOUR, 2, prepare) == 5  # from the hour of the oldest call
    assert ranges == [(T0, T0 + 2 * HOUR), (T0 + 2 * HOUR, T0 + 4 * HOUR), (T0 + 4 * HOUR, T0 + 5 * HOUR)]
    assert rollup.watermark(engine) == T0 + 5 * HOUR
    assert rollup.advance(engine, T0 + 5 * HOUR, 2, prepare) == 0  # nothing new: nothing rolled twice
    assert len(ranges) == 3


def test_a_chunk_another_process_rolled_up_first_is_not_written_again(engine: Engine) -> None:
    _calls(engine, T0)
    rollup = HourlyRollup(STATE, "calls")
    assert rollup.advance(engine, T0, 1, lambda s, e: lambda conn: None) == 0  # starts the watermark at T0
    assert rollup.watermark(engine) == T0
    written: list[float] = []

    def prepare(start: float, end: float) -> Writer:
        with engine.begin() as other:  # another replica moves the watermark between the read and the write
            assert rollup.move(other, start, end)

        def write(conn: Connection) -> None:
            written.append(start)

        return write

    assert rollup.advance(engine, T0 + 3 * HOUR, 1, prepare) == 0
    assert written == [] and rollup.watermark(engine) == T0 + HOUR


def test_the_first_value_is_set_once_and_watermarks_are_kept_apart_by_name(engine: Engine) -> None:
    first, other = HourlyRollup(STATE, "a"), HourlyRollup(STATE, "b")
    with engine.begin() as conn:
        assert first.move(conn, None, T0)
        assert not first.move(conn, None, T0 + HOUR)  # set already: a second "first" loses
        assert other.move(conn, None, T0 + 7 * HOUR)
        assert not first.move(conn, T0 + HOUR, T0 + 2 * HOUR)  # a stale `before` loses
    assert first.watermark(engine) == T0 and other.watermark(engine) == T0 + 7 * HOUR
    with engine.begin() as conn:
        first.reset(conn)
    assert first.watermark(engine) is None and other.watermark(engine) == T0 + 7 * HOUR


def test_an_empty_log_starts_at_the_target_and_closed_hours_leave_the_slack() -> None:
    assert closed_hour(T0 + HOUR + 599, 600) == T0
    assert closed_hour(T0 + HOUR + 600, 600) == T0 + HOUR
