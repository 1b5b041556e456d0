"""The hourly roll-up counts late writes: a row stored after its hour was rolled up (a drained backlog, a spill
replayed at the next start) is recounted into its hour, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, select, text

from rungway.assessment.facts import (
    assessment_hourly,
    prompt_facts,
    recount_late_hours,
    refresh_rollup,
    request_facts,
    rollup_watermark,
)
from rungway.capability import migration_packages
from rungway.domain.ids import new_id
from rungway.domain.records import RequestRecord
from rungway.domain.workloads import Workload
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.requests import insert_requests
from rungway.store.workloads import create_workload

HOUR = 3600.0


@pytest.fixture
def engine(store_url: str) -> Engine:
    eng = create_store_engine(store_url)
    upgrade(eng, migration_packages())
    create_workload(eng, Workload(name="alpha"))
    return eng


def _call(ts: float, user: str | None = "u1") -> RequestRecord:
    return RequestRecord(
        id=new_id("req_"),
        ts_start=ts,
        ts_end=ts + 0.2,
        workload="alpha",
        key_id="key_a",
        user=user,
        team=None,
        model_resolved="gpt-4o-2024-08-06",
        provider="sim",
        provider_account="org",
        status=200,
        latency_ms=10.0,
        priced=True,
    )


def _calls(engine: Engine, since: float, until: float) -> tuple[int, int]:
    rows, _ = request_facts(engine, since, until)
    return sum(r.calls for r in rows), sum(r.with_user for r in rows)


def test_a_row_written_after_its_hour_was_rolled_up_is_counted(engine: Engine) -> None:
    now = time.time()
    hour = (now // HOUR - 5) * HOUR  # a closed hour, five hours ago
    insert_requests(engine, [_call(hour + 60), _call(hour + 120)])
    refresh_rollup(engine, now)
    watermark = rollup_watermark(engine)
    assert watermark is not None and watermark > hour + HOUR
    assert _calls(engine, hour, hour + HOUR) == (2, 2)

    # The backlog drains: three calls of that hour are stored now, long after it was rolled up.
    insert_requests(engine, [_call(hour + 300), _call(hour + 600, user=None), _call(hour + 900)])
    assert _calls(engine, hour, hour + HOUR) == (2, 2)  # the roll-up does not know yet
    refresh_rollup(engine, now + 1000)
    assert _calls(engine, hour, hour + HOUR) == (5, 4)
    with engine.connect() as conn:
        summed = conn.execute(select(assessment_hourly.c.calls).where(assessment_hourly.c.bucket == hour)).scalar_one()
    assert summed == 5  # the hour's row was recounted, not added to twice

    # Nothing late since: the next recount touches no hour, and the hour keeps its count.
    assert recount_late_hours(engine, now + 1001) in (0, 1)  # the overlap may recount the same hour once more
    assert recount_late_hours(engine, now + 3000) == 0  # past the overlap: nothing late to recount
    assert _calls(engine, hour, hour + HOUR) == (5, 4)


def test_rows_written_on_time_stay_out_of_the_late_index(engine: Engine) -> None:
    now = time.time()
    insert_requests(engine, [_call(now - 5), _call(now - 10)])  # on time
    insert_requests(engine, [_call(now - 2 * HOUR)])  # late: stored two hours after it started
    with engine.connect() as conn:
        late = conn.execute(text("select count(*) from requests where recorded_at > ts_start + 300")).scalar_one()
        stamped = conn.execute(text("select count(*) from requests where recorded_at is not null")).scalar_one()
    assert (late, stamped) == (1, 3)


def test_prompt_facts_count_each_version_in_rolled_up_hours_late_rows_and_the_live_edge(engine: Engine) -> None:
    now = time.time()
    hour = (now // HOUR - 5) * HOUR

    def prompted(ts: float, version: int, status: int = 200) -> RequestRecord:
        record = _call(ts)
        record.prompt_name, record.prompt_version, record.status = "support-answer", version, status
        return record

    insert_requests(engine, [prompted(hour + 60, 1), prompted(hour + 90, 2), prompted(hour + 95, 2, status=500),
                             _call(hour + 200), prompted(now - 30, 2), _call(now - 20)])  # fmt: skip
    refresh_rollup(engine, now)
    rolled = rollup_watermark(engine)
    assert rolled is not None and hour + HOUR <= rolled < now - 30  # the recent calls are read live

    def per_version() -> dict[tuple[str, int], tuple[int, int]]:
        return {(f.prompt_name, f.prompt_version): (f.calls, f.ok_chat) for f in prompt_facts(engine, hour, now + 1)}

    assert per_version() == {("support-answer", 1): (1, 1), ("support-answer", 2): (3, 2)}
    insert_requests(engine, [prompted(hour + 300, 1)])  # stored late, after its hour was rolled up
    refresh_rollup(engine, now + 1000)
    assert per_version()[("support-answer", 1)] == (2, 2)
    assert sum(r.calls for r in request_facts(engine, hour, now + 1)[0]) == 7  # the request facts keep their grain
