"""`rungway budgets` (`budgets/cli.py`): set (the scope follows from the options), list, status, delete
and events; a budget must name a workload (and key) that exists, and mistakes are one line with the fix."""

from __future__ import annotations

import time

from click.testing import CliRunner

from rungway.budgets.store import BudgetEvent, insert_events
from rungway.cli.main import cli
from rungway.errors import NotFound
from rungway.store.engine import create_store_engine
from tests.cli.run import invoke, invoke_json, rungway


def test_cli_refuses_a_budget_for_a_workload_that_does_not_exist(sqlite_url: str) -> None:
    invoke(sqlite_url, "workloads", "create", "billing")
    result = rungway(sqlite_url, "budgets", "set", "b1", "--workload", "suport-bot", "--amount", "5")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    error = result.stderr.strip()
    assert len(error.splitlines()) == 1, error
    assert "suport-bot" in error and "rungway workloads create suport-bot" in error and "billing" in error
    assert "b1" not in invoke(sqlite_url, "budgets", "list").output


def test_cli_sets_a_budget_once_the_workload_exists(sqlite_url: str) -> None:
    invoke(sqlite_url, "workloads", "create", "support-bot")
    invoke(sqlite_url, "budgets", "set", "b1", "--workload", "support-bot", "--amount", "5")
    assert "b1" in invoke(sqlite_url, "budgets", "list").output


def test_the_scope_follows_from_the_options_and_the_answer_says_what_was_set(sqlite_url: str) -> None:
    invoke(sqlite_url, "workloads", "create", "bot")
    out = invoke(sqlite_url, "budgets", "set", "wl", "-w", "bot", "--amount", "12.5").output
    assert out.strip() == "budget wl: workload bot, $12.50 monthly, hard, alerts at 50%, 80%, 100%"
    out = invoke(sqlite_url, "budgets", "set", "ann", "-w", "bot", "-u", "ann", "--amount", "1", "--soft",
                 "--alert-at", "90", "--period", "daily").output  # fmt: skip
    assert out.strip() == "budget ann: user ann in bot, $1.00 daily, soft, alerts at 90%"
    invoke(sqlite_url, "budgets", "set", "qa", "--team", "qa", "--amount", "3", "--period", "fixed",
           "--start", "2030-01-01", "--end", "2030-02-01")  # fmt: skip
    listed = invoke_json(sqlite_url, "budgets", "list")
    assert sorted((b["name"], b["scope"], b["period"]) for b in listed) == [
        ("ann", "user", "daily"), ("qa", "team", "fixed"), ("wl", "workload", "monthly")]  # fmt: skip
    fixed = next(b for b in listed if b["name"] == "qa")
    assert (fixed["starts_at"], fixed["ends_at"]) == ("2030-01-01T00:00:00Z", "2030-02-01T00:00:00Z")


def test_status_shows_spend_this_period_for_all_or_one(sqlite_url: str) -> None:
    invoke(sqlite_url, "workloads", "create", "bot")
    invoke(sqlite_url, "budgets", "set", "a", "-w", "bot", "--amount", "1")
    invoke(sqlite_url, "budgets", "set", "b", "--team", "qa", "--amount", "2")
    assert [s["name"] for s in invoke_json(sqlite_url, "budgets", "status")] == ["a", "b"]
    (one,) = invoke_json(sqlite_url, "budgets", "status", "b")
    assert (one["spent_nano"], one["remaining_nano"], one["live"]) == (0, 2_000_000_000, False)


def test_delete_and_a_missing_budget_named_with_the_fix(sqlite_url: str) -> None:
    invoke(sqlite_url, "workloads", "create", "bot")
    invoke(sqlite_url, "budgets", "set", "a", "-w", "bot", "--amount", "1")
    assert invoke(sqlite_url, "budgets", "delete", "a").output.strip() == "budget a deleted"
    result = rungway(sqlite_url, "budgets", "delete", "a")  # as a user runs it: one line, exit 1
    assert result.returncode == 1 and "no budget named 'a'; see `rungway budgets list`" in result.stderr
    for args in (("status", "a"), ("events", "a")):
        outcome = CliRunner().invoke(cli, ["budgets", *args], env={"RUNGWAY_DATABASE_URL": sqlite_url})
        assert isinstance(outcome.exception, NotFound) and "see `rungway budgets list`" in outcome.exception.message


def test_events_newest_first_filtered_by_budget_and_kind(sqlite_url: str) -> None:
    invoke(sqlite_url, "workloads", "create", "bot")
    invoke(sqlite_url, "budgets", "set", "a", "-w", "bot", "--amount", "1")
    (budget,) = invoke_json(sqlite_url, "budgets", "list")
    now = time.time()
    insert_events(create_store_engine(sqlite_url), [
        BudgetEvent("bev_1", budget["id"], now - 10, "blocked", now, message="first"),
        BudgetEvent("bev_2", budget["id"], now - 5, "threshold", now, threshold=50),
        BudgetEvent("bev_3", budget["id"], now - 1, "blocked", now, message="third"),
    ])  # fmt: skip
    assert [e["id"] for e in invoke_json(sqlite_url, "budgets", "events")] == ["bev_3", "bev_2", "bev_1"]
    assert [e["id"] for e in invoke_json(sqlite_url, "budgets", "events", "a", "--kind", "blocked",
                                         "--limit", "1")] == ["bev_3"]  # fmt: skip
    assert invoke_json(sqlite_url, "budgets", "events", "--since", "2s") != []


def test_a_bad_alert_list_or_time_is_one_line_naming_the_option(sqlite_url: str) -> None:
    invoke(sqlite_url, "workloads", "create", "bot")
    result = rungway(sqlite_url, "budgets", "set", "a", "-w", "bot", "--amount", "1", "--alert-at", "50,eighty")
    assert result.returncode == 1 and "--alert-at '50,eighty': write whole percentages" in result.stderr
    result = rungway(sqlite_url, "budgets", "set", "f", "--team", "qa", "--amount", "1", "--period", "fixed",
                     "--start", "someday", "--end", "2030-01-01")  # fmt: skip
    assert result.returncode == 1 and "--start" in result.stderr and "Traceback" not in result.stderr
