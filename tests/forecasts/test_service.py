"""Forecasts and budget outlooks from a seeded store (SQLite and PostgreSQL): by each dimension, scoped to one
workload, with bad input refused, and the date each kind of budget runs out."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine

from rungway.budgets.public import spend_in_log
from rungway.budgets.service import BudgetRequest, set_budget
from rungway.domain.timespec import DAY
from rungway.errors import InvalidRequest
from rungway.forecasts.service import budget_outlooks, forecast_spend, history_days
from tests.forecasts.support import open_store, seed_spend, workload_budget


@pytest.fixture
def engine(store_url: str) -> Engine:
    return open_store(store_url)


def test_a_forecast_by_each_dimension(engine: Engine) -> None:
    now = time.time()
    seed_spend(engine, "test", 42, models=("gpt-4o", "gpt-4o-mini"), users=("ann", "bob"), now=now)
    seed_spend(engine, "other", 42, team="ops", weekday_usd=2.0, now=now)
    by_workload = forecast_spend(engine, "workload", 7, None, now)
    assert [g.key for g in by_workload.groups] == ["test", "other"]  # costliest first
    test = by_workload.groups[0]
    assert test.history_days == 42 and test.method == "seasonal-damped"
    assert test.lower_nano <= test.point_nano <= test.upper_nano
    assert test.point_nano == pytest.approx(test.last_7d_nano, rel=0.1)  # a flat weekly pattern repeats
    assert len(test.daily_nano) == 7
    month = forecast_spend(engine, "workload", 30, None, now).groups[0]
    assert month.point_nano == pytest.approx(test.point_nano * 30 / 7, rel=0.1)
    assert {g.key for g in forecast_spend(engine, "team", 7, None, now).groups} == {"qa", "ops"}
    assert {g.key for g in forecast_spend(engine, "model", 30, None, now).groups} == {"gpt-4o", "gpt-4o-mini"}
    assert {g.key for g in forecast_spend(engine, "user", 7, None, now).groups} == {"ann", "bob", None}


def test_a_workloads_forecast_holds_only_its_own_spend(engine: Engine) -> None:
    now = time.time()
    seed_spend(engine, "test", 30, users=("ann",), now=now)
    seed_spend(engine, "other", 30, team="ops", users=("eve",), now=now)
    mine = forecast_spend(engine, "user", 7, "test", now)
    assert [g.key for g in mine.groups] == ["ann"]
    assert [g.key for g in forecast_spend(engine, "team", 7, "other", now).groups] == ["ops"]
    assert forecast_spend(engine, "workload", 7, "nobody", now).groups == []


@pytest.mark.parametrize(("by", "days", "param"), [("tag", 7, "by"), ("workload", 14, "days")])
def test_bad_input_is_refused(engine: Engine, by: str, days: int, param: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        forecast_spend(engine, by, days, None)
    assert raised.value.param == param


def test_a_budget_that_will_run_out_inside_its_period(engine: Engine) -> None:
    now = 1_763_467_200.0  # Tuesday 2025-11-18 12:00 UTC: this ISO week has spent $10 on each of 2 days
    seed_spend(engine, "test", 35, now=now)
    workload_budget(engine, "tight", "test", "45", period="weekly")
    workload_budget(engine, "roomy", "test", "100000", period="monthly")
    outlooks = {o.budget.name: o for o in budget_outlooks(engine, "test", False, now)}
    tight, roomy = outlooks["tight"], outlooks["roomy"]
    assert tight.spent_nano == 20 * 10**9 and tight.history_days == 35
    out = tight.exhaustion
    assert out is not None and out.at is not None and out.earliest is not None
    assert out.at == pytest.approx(now + 2.5 * DAY) and out.in_period  # $25 left: $5 today, $10 Wed, $10 Thu
    assert out.earliest <= out.at <= (out.latest or out.at)
    assert roomy.exhaustion is not None and not roomy.exhaustion.in_period
    assert roomy.period_forecast_nano is not None and roomy.period_forecast_nano > roomy.spent_nano
    assert [o.budget.name for o in budget_outlooks(engine, "other", False, now)] == []


def test_budgets_of_every_scope(engine: Engine) -> None:
    now = time.time()
    seed_spend(engine, "test", 30, users=("ann",), now=now)
    requests = [
        BudgetRequest(name="team-qa", scope="team", amount_usd="5", period="daily", team="qa"),
        BudgetRequest(name="ann", scope="user", amount_usd="5", period="daily", workload="test", user="ann"),
        BudgetRequest(name="each", scope="user", amount_usd="5", period="daily", workload="test", each_user=True),
    ]
    for request in requests:
        set_budget(engine, request)
    found = {o.budget.name: o for o in budget_outlooks(engine, None, True, now)}
    assert found["team-qa"].history_days == 30 and found["ann"].history_days == 30
    for o in found.values():  # the roll-up's days plus the log's last hour are the log's whole period
        assert o.spent_nano == spend_in_log(engine, o.budget, o.period_start, o.period_end) > 0
    assert found["each"].exhaustion is None and "per-user" in found["each"].note
    assert "team-qa" not in {o.budget.name for o in budget_outlooks(engine, "test", False, now)}  # admins only


def test_history_days(engine: Engine) -> None:
    now = time.time()
    seed_spend(engine, "test", 30, now=now)
    seed_spend(engine, "other", 3, team="ops", now=now - 10 * DAY, today=False)
    assert history_days(engine, ["test", "other", "idle"], now) == {"test": 30, "other": 13}
