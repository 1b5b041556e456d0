"""The request log and usage behind `rungway logs|usage` and `/api/logs|usage` (`services/logs.py`):
text filters checked once, pages with cursors, new rows for `--follow`, usage totals."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from rungway.capability import migration_packages
from rungway.domain.records import RequestRecord
from rungway.errors import InvalidRequest
from rungway.services.logs import (
    MAX_PAGE,
    UsageRow,
    build_filter,
    new_rows,
    parse_time,
    search_logs,
    total_of,
    usage_report,
)
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.requests import insert_requests

NOW = 1_900_000_000.0


@pytest.fixture
def engine(store_url: str) -> Engine:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    rows = [
        RequestRecord(
            id=f"req_{i:02d}",
            ts_start=NOW - 100 + i,
            ts_end=NOW - 99 + i,
            workload="bot" if i % 2 else "etl",
            key_id=None,
            user="ann" if i < 5 else "bob",
            team="qa",
            model_requested="gpt-4o-mini",
            status=200 if i != 7 else 429,
            latency_ms=10.0 * (i + 1),
            tokens_in=10,
            tokens_out=5,
            cost_nano=1_000_000 * i,
            priced=True,
        )
        for i in range(10)
    ]
    insert_requests(engine, rows)
    return engine


def test_text_filters_become_a_store_filter() -> None:
    f = build_filter(now=NOW, workload="bot", status="429", since="1h", until="2030-01-01", limit="20", cursor="req_5")
    assert (f.workload, f.status, f.since, f.limit, f.before_id) == ("bot", 429, NOW - 3600, 20, "req_5")
    assert f.until == 1_893_456_000.0
    empty = build_filter(now=NOW, workload="", status="", since="", limit=None)
    assert (empty.workload, empty.status, empty.since, empty.limit) == (None, None, None, 100)


@pytest.mark.parametrize(
    ("fields", "param", "fragment"),
    [
        ({"status": "abc"}, "status", "status must be a whole number, got 'abc'"),
        ({"status": 99}, "status", "status must be between 100 and 599, got 99"),
        ({"limit": MAX_PAGE + 1}, "limit", "limit must be between 1 and 1000"),
        ({"limit": "0"}, "limit", "between 1 and 1000, got 0"),
        ({"since": "yesterday-ish"}, "since", "since: "),
        ({"until": "13/45/2030"}, "until", "until: "),
    ],
)
def test_a_bad_filter_names_the_parameter(fields: dict[str, object], param: str, fragment: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        build_filter(now=NOW, **fields)  # type: ignore[arg-type]
    assert caught.value.param == param and fragment in caught.value.message


def test_parse_time_leaves_an_absent_time_absent() -> None:
    assert parse_time(None, NOW, "since") is None and parse_time("", NOW, "since") is None
    assert parse_time("7d", NOW, "since") == NOW - 7 * 86400


def test_pages_follow_the_cursor_newest_first_with_cost_in_dollars(engine: Engine) -> None:
    first = search_logs(engine, build_filter(now=NOW, limit=4))
    assert [r["id"] for r in first.rows] == ["req_09", "req_08", "req_07", "req_06"]
    assert first.rows[0]["cost_usd"] == 0.009 and first.rows[0]["user"] == "bob" and "user_id" not in first.rows[0]
    second = search_logs(engine, build_filter(now=NOW, limit=4, cursor=first.next_cursor))
    third = search_logs(engine, build_filter(now=NOW, limit=4, cursor=second.next_cursor))
    assert [r["id"] for r in second.rows + third.rows] == [f"req_{i:02d}" for i in range(5, -1, -1)]
    assert third.next_cursor is None  # a short page is the last


def test_filters_select_rows(engine: Engine) -> None:
    assert [r["id"] for r in search_logs(engine, build_filter(now=NOW, errors=True)).rows] == ["req_07"]
    rows = search_logs(engine, build_filter(now=NOW, workload="bot", user="ann")).rows
    assert [r["id"] for r in rows] == ["req_03", "req_01"]


def test_new_rows_are_those_not_seen_oldest_first(engine: Engine) -> None:
    f = build_filter(now=NOW, limit=3)
    first = new_rows(engine, f, set(), None)
    assert [r["id"] for r in first] == ["req_07", "req_08", "req_09"]
    seen = {r["id"] for r in first}
    late = [RequestRecord(id=name, ts_start=ts, ts_end=ts, workload="bot", key_id=None, user=None, team=None)
            for name, ts in (("req_late", NOW - 3), ("req_new", NOW))]  # fmt: skip
    insert_requests(engine, late)
    # Rows started after the last one shown, and up to 5 s before it (a slow writer commits late).
    assert [r["id"] for r in new_rows(engine, f, seen, after=NOW - 1)] == ["req_late", "req_new"]
    assert [r["id"] for r in new_rows(engine, f, seen | {"req_late", "req_new"}, after=NOW)] == []


def test_usage_groups_costliest_first_and_totals_weigh_latency_by_requests(engine: Engine) -> None:
    rows = usage_report(engine, "workload", since=None)
    assert [(r.key, r.requests, r.errors, r.cost_nano) for r in rows] == [("bot", 5, 1, 25_000_000),
                                                                        ("etl", 5, 0, 20_000_000)]  # fmt: skip
    assert rows[0].avg_latency_ms == 60.0 and rows[0].as_dict()["cost_usd"] == 0.025
    total = total_of(rows)
    assert (total.key, total.requests, total.errors, total.tokens_in, total.cost_nano) == ("total", 10, 1, 100,
                                                                                           45_000_000)  # fmt: skip
    assert total.avg_latency_ms == 55.0
    assert total_of([]) == UsageRow("total", 0, 0, 0, 0, 0, 0, None)


def test_usage_by_an_unknown_dimension_lists_the_known_ones(engine: Engine) -> None:
    with pytest.raises(InvalidRequest) as caught:
        usage_report(engine, "colour", since=None)
    assert caught.value.param == "by"
    assert "cannot group usage by 'colour'; use one of workload, user, model, provider" in caught.value.message
