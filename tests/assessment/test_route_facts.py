"""The route facts (calls by workload, requested model, deployment and rule) read from the hourly roll-up and its
live edges agree with a plain scan of the request log, on SQLite and PostgreSQL: over windows that start
mid-hour, with rows stored late and calls after the watermark."""

from __future__ import annotations

import random
import time

import pytest
from sqlalchemy import Engine, text

from rungway.assessment.facts import refresh_rollup, rollup_watermark, route_facts
from rungway.capability import migration_packages
from rungway.domain.ids import new_id
from rungway.domain.records import RequestRecord
from rungway.domain.workloads import Workload
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.requests import insert_requests
from rungway.store.workloads import create_workload

HOUR = 3600.0
DAY = 86_400.0
Groups = dict[tuple[str, str, str | None, str | None], tuple[int, int, int]]


@pytest.fixture
def engine(store_url: str) -> Engine:
    eng = create_store_engine(store_url)
    upgrade(eng, migration_packages())
    for name in ("alpha", "beta"):
        create_workload(eng, Workload(name=name))
    return eng


def _seeded(rnd: random.Random, ts: float) -> RequestRecord:
    workload = rnd.choice(["alpha", "beta"])
    return RequestRecord(
        id=new_id("req_"),
        ts_start=ts,
        ts_end=ts + 0.2,
        workload=workload,
        key_id=f"key_{workload}",
        user="u1",
        team=None,
        model_requested=rnd.choice(["gpt-4o", "gpt-4o-mini", None]),
        model_resolved="gpt-4o-2024-08-06",
        status=rnd.choice([200, 200, 200, 429, 502]),
        latency_ms=10.0,
        deployment=rnd.choice(["gpt-4o", "gpt-4o-eu", None]),
        route_rule=rnd.choice(["long", None, None]),
        failed_over=rnd.choice([True, False, False]),
    )


def _scanned(engine: Engine, since: float, until: float) -> Groups:
    """What the checks read before the roll-up: one grouped scan of the request log."""
    query = text(
        "SELECT workload, model_requested, deployment, route_rule, COUNT(*),"
        " SUM(CASE WHEN status < 400 THEN 1 ELSE 0 END), SUM(CASE WHEN failed_over THEN 1 ELSE 0 END)"
        " FROM requests WHERE ts_start >= :since AND ts_start < :until AND workload IS NOT NULL"
        " GROUP BY workload, model_requested, deployment, route_rule"
    )
    with engine.connect() as conn:
        rows = conn.execute(query, {"since": since, "until": until}).all()
    return {(w, m or "", d, r): (int(n), int(ok), int(fo)) for w, m, d, r, n, ok, fo in rows}


def _rolled(engine: Engine, since: float, until: float) -> Groups:
    return {(f.workload, f.model, f.deployment, f.rule): (f.calls, f.ok, f.failed_over)
            for f in route_facts(engine, since, until)}  # fmt: skip


def test_route_facts_from_the_rollup_agree_with_a_scan_of_the_request_log(engine: Engine) -> None:
    rnd = random.Random(24)
    now = time.time()
    insert_requests(engine, [_seeded(rnd, now - rnd.uniform(60, 40 * DAY)) for _ in range(3_000)])
    refresh_rollup(engine, now)
    watermark = rollup_watermark(engine)
    assert watermark is not None and now - 2 * HOUR < watermark < now
    insert_requests(engine, [_seeded(rnd, now - rnd.uniform(0, 50)) for _ in range(40)])  # after the watermark
    for days in (1, 30, 90):
        since = now - days * DAY  # mid-hour: the first partial hour is read live
        assert _rolled(engine, since, now) == _scanned(engine, since, now), days

    insert_requests(engine, [_seeded(rnd, now - rnd.uniform(3 * HOUR, 5 * DAY)) for _ in range(200)])  # stored late
    assert _rolled(engine, now - 30 * DAY, now) != _scanned(engine, now - 30 * DAY, now)  # not recounted yet
    refresh_rollup(engine, now + 1_000)
    assert _rolled(engine, now - 30 * DAY, now) == _scanned(engine, now - 30 * DAY, now)


def test_calls_without_a_deployment_or_rule_read_back_as_none(engine: Engine) -> None:
    now = time.time()
    rnd = random.Random(1)
    record = _seeded(rnd, now - 5 * HOUR)
    record.deployment, record.route_rule, record.model_requested = None, None, "gpt-4o"
    insert_requests(engine, [record])
    refresh_rollup(engine, now)
    (facts,) = route_facts(engine, now - DAY, now)
    assert (facts.model, facts.deployment, facts.rule, facts.calls) == ("gpt-4o", None, None, 1)
