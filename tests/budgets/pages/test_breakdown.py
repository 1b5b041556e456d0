"""The Cost page's breakdown equals the API's cost report to the nano-dollar, and workload budgets' spend equals
the log's, on SQLite and PostgreSQL, with calls in rolled-up hours, in the live edges and across UTC days."""

from __future__ import annotations

import pytest

from rungway.budgets.cost import cost_report
from rungway.budgets.model import period_bounds
from rungway.budgets.pages.breakdown import cost_breakdown, workload_budget_spend
from rungway.budgets.service import BudgetRequest, build_budget
from rungway.budgets.store import spend_in_log
from rungway.capability import migration_packages
from rungway.domain.records import RequestRecord
from rungway.errors import InvalidRequest
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.request_stats import refresh_request_hourly
from rungway.store.requests import insert_requests

NOW = 1_764_500_000.0  # 2025-11-30 10:53 UTC


def _calls(n: int) -> list[RequestRecord]:
    calls = []
    for i in range(n):
        ts = NOW - i * 5_400 - 17  # every 90 minutes, back over nine days
        calls.append(
            RequestRecord(
                id=f"req_{i:06d}",
                ts_start=ts,
                ts_end=ts + 0.2,
                workload=("alpha", "beta", "gamma")[i % 3],
                key_id=None,
                user=None if i % 5 == 0 else f"user-{i % 7}",
                team=("red", "blue")[i % 2],
                tags={"env": ("prod", "dev")[i % 2]} if i % 4 else {},
                model_requested=("gpt-4o", "gpt-4o-mini")[i % 2],
                status=502 if i % 11 == 0 else 200,
                tokens_in=10 + i,
                tokens_out=20 + i,
                cost_nano=1_000 * (i + 1) + 7,
                priced=True,
            )
        )
    return calls


@pytest.mark.parametrize("by", ["workload", "user", "model", "team", "tag"])
def test_the_breakdown_equals_the_cost_report(store_url: str, by: str) -> None:
    engine = create_store_engine(store_url)
    try:
        upgrade(engine, migration_packages())
        insert_requests(engine, _calls(150))
        refresh_request_hourly(engine, NOW - 3 * 86_400)  # older hours rolled up, the last three days live
        for since, workload in (("7d", None), ("30d", "beta"), ("36h", None)):
            tag = "env" if by == "tag" else None
            shown = cost_breakdown(engine, by, since, tag=tag, workload=workload, now=NOW).report
            api = cost_report(engine, by, since, None, tag, workload, now=NOW)
            assert [(r.key, r.requests, r.errors, r.cost_nano) for r in shown.rows] == [
                (r.key, r.requests, r.errors, r.cost_nano) for r in api.rows
            ]
            assert [(d.key, d.requests, d.cost_nano) for d in shown.daily] == [
                (d.key, d.requests, d.cost_nano) for d in api.daily
            ]
            assert shown.total.cost_nano == api.total.cost_nano and shown.total.requests == api.total.requests
            assert shown.reconciles() and len(shown.daily) >= 2
            if by == "user":
                assert [u.key for u in shown.top_users] == [u.key for u in api.top_users]
            if by != "workload":
                assert [r.tokens_in for r in shown.rows] == [r.tokens_in for r in api.rows]
    finally:
        engine.dispose()


def test_workload_budgets_spend_from_the_roll_up_equals_the_logs(store_url: str) -> None:
    engine = create_store_engine(store_url)
    try:
        upgrade(engine, migration_packages())
        insert_requests(engine, _calls(150))
        refresh_request_hourly(engine, NOW - 3 * 86_400)
        budgets = [
            build_budget(BudgetRequest(name=f"{w}-{p}", scope="workload", amount_usd="1", workload=w, period=p), NOW)
            for w in ("alpha", "beta", "nobody")
            for p in ("daily", "weekly", "monthly")
        ]
        user = build_budget(BudgetRequest("u", "user", "1", workload="alpha", user="user-1"), NOW)
        spend = workload_budget_spend(engine, [*budgets, user], NOW)
        assert user.id not in spend  # left to the log
        for budget in budgets:
            start, end = period_bounds(budget, NOW)
            assert spend[budget.id] == (start, spend_in_log(engine, budget, start, end)), budget.name
        assert spend[budgets[2].id][1] > 0 and spend[budgets[-1].id][1] == 0
    finally:
        engine.dispose()


def test_bad_breakdowns_are_the_callers_mistakes() -> None:
    engine = create_store_engine("sqlite://")
    with pytest.raises(InvalidRequest, match="by 'colour'"):
        cost_breakdown(engine, "colour", "7d")
    with pytest.raises(InvalidRequest, match="tag key"):
        cost_breakdown(engine, "tag", "7d")
    with pytest.raises(InvalidRequest, match="before until"):
        cost_breakdown(engine, "user", "1d", until="2d")
