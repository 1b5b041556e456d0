"""`rungway forecast spend|budgets` against a real store: tables, CSV and JSON, exhaustion dates, and a bad
option refused with one line and no traceback."""

from __future__ import annotations

from tests.cli.run import invoke, invoke_json, rungway
from tests.forecasts.support import open_store, seed_spend, workload_budget


def test_spend_by_team_for_30_days_with_the_budgets(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    seed_spend(engine, "test", 35, users=("ann",))
    seed_spend(engine, "other", 35, team="ops", weekday_usd=1.0)
    workload_budget(engine, "test-weekly", "test", "20", period="weekly")
    out = invoke(sqlite_url, "forecast", "spend", "--by", "team", "--days", "30").output
    assert "Spend by team, next 30 days" in out and "80% interval" in out
    assert "qa" in out and "ops" in out and "seasonal-damped" in out
    assert "test-weekly" in out and "Runs out" in out
    data = invoke_json(sqlite_url, "forecast", "spend", "--by", "user", "--workload", "test")
    assert data["days"] == 7 and [g["key"] for g in data["groups"]] == ["ann"]
    assert [b["budget"] for b in data["budgets"]] == ["test-weekly"]
    csv = invoke(sqlite_url, "forecast", "spend", "--by", "model", "--format", "csv").output
    assert csv.splitlines()[0].startswith("key,history_days,") and "gpt-4o-mini" in csv


def test_budgets_shows_the_exhaustion_dates(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    seed_spend(engine, "test", 30)
    workload_budget(engine, "test-monthly", "test", "100000")
    data = invoke_json(sqlite_url, "forecast", "budgets")
    (budget,) = data["budgets"]
    assert budget["budget"] == "test-monthly" and budget["exhausts_in_period"] is False and data["alerts"] == []
    assert "test-monthly" in invoke(sqlite_url, "forecast", "budgets").output


def test_a_bad_option_is_one_line_without_a_traceback(sqlite_url: str) -> None:
    done = rungway(sqlite_url, "forecast", "spend", "--days", "14")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "'14' is not one of '7', '30'" in done.stderr
