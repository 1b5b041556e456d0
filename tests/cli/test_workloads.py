"""`rungway workloads list|create|update` against SQLite and PostgreSQL."""

from __future__ import annotations

from tests.cli.run import invoke, invoke_json, rungway


def test_create_update_and_list_workloads(store_url: str) -> None:
    out = invoke(store_url, "workloads", "create", "support-bot", "--team", "cx", "--risk-tier", "customer-facing")
    assert "Created workload support-bot" in out.output
    invoke(store_url, "workloads", "update", "support-bot", "--rpm", "60", "--capture", "redacted")
    (row,) = invoke_json(store_url, "workloads", "list")
    assert row["name"] == "support-bot" and row["team"] == "cx" and row["risk_tier"] == "customer-facing"
    assert row["rpm_limit"] == 60 and row["capture"] == "redacted"
    table = invoke(store_url, "workloads", "list").output
    assert "support-bot" in table and "customer-facing" in table
    assert invoke(store_url, "workloads", "list", "--format", "csv").output.startswith("name,team,")


def test_a_workload_name_with_a_final_newline_is_refused(sqlite_url: str) -> None:
    result = rungway(sqlite_url, "workloads", "create", "bot\n")
    assert result.returncode == 1 and "invalid workload name 'bot\\n'" in result.stderr
    assert "Traceback" not in result.stderr
