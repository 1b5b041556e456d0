"""`rungway incidents list|show`: failover records from a running server (`/api/incidents`), scoped to
the key's workload (an admin key sees every incident)."""

from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import quote

import click

from rungway.cli.api_client import connect, server_options
from rungway.cli.options import format_option
from rungway.cli.render import Column, console, emit, fmt_ms, fmt_time

__all__ = ["INCIDENT_COLUMNS", "incidents_group", "rate"]


def rate(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.2f}%"


INCIDENT_COLUMNS = [
    Column("id", "Incident"),
    Column("deployment", "Deployment"),
    Column("opened_at", "Opened", fmt_time),
    Column("closed_at", "Closed", lambda v: "open" if v is None else fmt_time(v)),
    Column("calls", "Calls", justify="right"),
    Column("failed_over", "Failed over", justify="right"),
    Column("lost", "Lost", justify="right"),
    Column("success_rate", "Success", rate, justify="right"),
    Column("added_p50_ms", "Added p50", fmt_ms, justify="right"),
    Column("added_p99_ms", "Added p99", fmt_ms, justify="right"),
]


@click.group("incidents")
def incidents_group() -> None:
    """Failover incidents: when a deployment's circuit opened and closed, and what callers saw."""


@incidents_group.command("list")
@click.option("--since", default="90d", show_default=True, help="7d, 24h, an ISO date or epoch seconds")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1000))
@server_options
@format_option("table", "csv", "json")
def list_command(since: str, limit: int, server: str | None, key: str | None, fmt: str) -> None:
    """Incidents newest first (those that affected your workload; an admin key: all)."""
    rows = connect(server, key).get("/api/incidents", {"since": since, "limit": limit})["incidents"]
    emit(rows, INCIDENT_COLUMNS, fmt, title="Incidents")


@incidents_group.command("show")
@click.argument("incident_id")
@server_options
@format_option("table", "json")
def show_command(incident_id: str, server: str | None, key: str | None, fmt: str) -> None:
    """One incident with its counts per affected workload."""
    row: dict[str, Any] = connect(server, key).get("/api/incidents/" + quote(incident_id, safe=""))
    if fmt == "json":
        sys.stdout.write(json.dumps(row, indent=2) + "\n")
        return
    out = console()
    closed = "still open" if row["closed_at"] is None else fmt_time(row["closed_at"])
    out.print(f"[bold]{row['id']}[/bold]  deployment {row['deployment']}: opened {fmt_time(row['opened_at'])}, "
              f"closed {closed} (cause: {row['cause']})")  # fmt: skip
    out.print(
        f"calls {row['calls']}, served {row['served']}, failed over {row['failed_over']}, lost {row['lost']}, "
        f"success {rate(row['success_rate'])}; added latency p50 {fmt_ms(row['added_p50_ms']) or '-'}, "
        f"p99 {fmt_ms(row['added_p99_ms']) or '-'} (normal p50 {fmt_ms(row['normal_p50_ms']) or '-'})"
    )
    emit(
        row["workloads"],
        [Column("workload", "Workload"), Column("calls", "Calls", justify="right"),
         Column("failed_over", "Failed over", justify="right"), Column("lost", "Lost", justify="right")],
        "table",
        title="Affected workloads",
    )  # fmt: skip
