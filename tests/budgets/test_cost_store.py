"""Cost reports from the request log (`budgets/cost_store.py`) on SQLite and PostgreSQL: by dimension,
by tag, by UTC day, and in total, within a window."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from rungway.budgets.cost_store import CostFilter, cost_by, cost_by_day, cost_total
from rungway.capability import migration_packages
from rungway.domain.records import RequestRecord
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.requests import insert_requests

DAY = 86400.0
START = 20_000 * DAY  # a UTC midnight


def record(n: int, ts: float, cost: int, **fields: Any) -> RequestRecord:
    values: dict[str, Any] = {"workload": "bot", "key_id": "key_a", "user": "ann", "team": "qa",
                              "model_requested": "gpt-4o-mini", "provider": "openai", "tokens_in": 10,
                              "tokens_out": 5}  # fmt: skip
    values.update(fields)
    return RequestRecord(id=f"req_{n}", ts_start=ts, ts_end=ts + 1, cost_nano=cost, priced=True, **values)


@pytest.fixture
def engine(store_url: str) -> Engine:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    insert_requests(engine, [
        record(1, START + 10, 100, tags={"env": "prod", "odd.key": "x"}),
        record(2, START + 20, 300, workload="etl", user="bob", tags={"env": "dev"}),
        record(3, START + DAY + 5, 50, status=500, model_requested="gpt-4o", tags={"env": "prod"}),
        record(4, START - 5, 1000),  # the day before the window
    ])  # fmt: skip
    return engine


WINDOW = CostFilter(since=START, until=START + 2 * DAY)


def test_cost_by_a_dimension_costliest_first(engine: Engine) -> None:
    rows = cost_by(engine, "workload", WINDOW)
    assert [(r["key"], r["requests"], r["errors"], r["cost_nano"]) for r in rows] == [("etl", 1, 0, 300),
                                                                                    ("bot", 2, 1, 150)]  # fmt: skip
    assert [(r["key"], r["cost_nano"]) for r in cost_by(engine, "model", WINDOW)] == [("gpt-4o-mini", 400),
                                                                                    ("gpt-4o", 50)]  # fmt: skip


def test_cost_by_tag_groups_calls_without_the_tag_apart(engine: Engine) -> None:
    rows = cost_by(engine, "tag", CostFilter(), tag="env")
    assert [(r["key"], r["cost_nano"]) for r in rows] == [(None, 1000), ("dev", 300), ("prod", 150)]
    assert [r["key"] for r in cost_by(engine, "tag", WINDOW, tag="odd.key")] == [None, "x"]
    assert [r["key"] for r in cost_by(engine, "tag", WINDOW, tag='q"uote')] == [None]  # a quote cannot escape


def test_cost_by_utc_day_oldest_first(engine: Engine) -> None:
    rows = cost_by_day(engine, CostFilter())
    assert [(r["day"], r["requests"], r["cost_nano"]) for r in rows] == [(19_999, 1, 1000), (20_000, 2, 400),
                                                                       (20_001, 1, 50)]  # fmt: skip


def test_totals_within_the_window_and_for_one_workload(engine: Engine) -> None:
    total = cost_total(engine, WINDOW)
    assert (total["requests"], total["errors"], total["tokens_in"], total["tokens_out"], total["cost_nano"]) == (
        3, 1, 30, 15, 450)  # fmt: skip
    assert cost_total(engine, CostFilter(workload="etl"))["cost_nano"] == 300
    assert cost_total(engine, CostFilter(since=START + 3 * DAY)) == {
        "requests": 0, "errors": 0, "tokens_in": 0, "tokens_out": 0, "cost_nano": 0}  # fmt: skip
