"""A budget must name a workload (and key) that exists, in the CLI and the API, and say how to fix it."""

from __future__ import annotations

from tests.api.http import call
from tests.cli.run import invoke, rungway
from tests.servers import Gateway


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


def test_api_refuses_a_budget_for_a_missing_workload_or_key_with_a_400(gateway: Gateway) -> None:
    body = {"name": "b1", "scope": "workload", "workload": "nope", "amount_usd": "5"}
    status, answer = call(gateway, "PUT", "/api/budgets", body=body)
    assert status == 400, answer
    assert answer["error"]["param"] == "workload" and "POST /api/workloads" in answer["error"]["message"]
    key_body = {"name": "b2", "scope": "key", "key_id": "key_missing", "amount_usd": "5"}
    status, answer = call(gateway, "PUT", "/api/budgets", body=key_body)
    assert status == 400 and answer["error"]["param"] == "key_id", answer
    status, listed = call(gateway, "GET", "/api/budgets")
    assert status == 200 and listed["data"] == []
