"""`rungway models pins list|set|rollback|history`: a workload's pins from a terminal, over HTTP.

The server is `--server` (else RUNGWAY_URL, else http://127.0.0.1:4000) and the key `--key` (else
RUNGWAY_API_KEY, else RUNGWAY_ADMIN_KEY); a key acts in its own workload, the admin key names one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import click

from rungway.cli.api_client import ApiClient, connect, server_options
from rungway.cli.options import format_option
from rungway.cli.render import Column, emit

__all__ = ["connect", "pins_group", "server_options"]

F = TypeVar("F", bound=Callable[..., Any])


def pin_path(alias: str, *rest: str) -> str:
    return "/api/models/pins/" + "/".join(quote(part, safe="") for part in (alias, *rest))


workload_option = click.option(
    "--workload", "-w", default=None, help="whose pins (an admin key names one; other keys use their own)"
)

PIN_COLUMNS = [
    Column("workload", "Workload"),
    Column("alias", "Alias"),
    Column("snapshot", "Pinned to"),
    Column("source", "Source"),
    Column("updated_by", "By"),
    Column("updated_at", "When (UTC)"),
    Column("reason", "Why"),
]
CHANGE_COLUMNS = [
    Column("changed_at", "When (UTC)"),
    Column("workload", "Workload"),
    Column("alias", "Alias"),
    Column("kind", "Kind"),
    Column("from", "From"),
    Column("to", "To"),
    Column("actor", "By"),
    Column("reason", "Why"),
    Column("report_id", "Report"),
]


@click.group("pins")
def pins_group() -> None:
    """Pin floating model aliases to dated snapshots, per workload."""


@pins_group.command("list")
@workload_option
@format_option("table", "json", "csv")
@server_options
def list_command(workload: str | None, fmt: str, server: str | None, key: str | None) -> None:
    """The workload's pins (config seeds and pins set since)."""
    data = connect(server, key).get("/api/models/pins", {"workload": workload})
    emit(data["data"], PIN_COLUMNS, fmt, title="Model pins")


@pins_group.command("set")
@click.argument("alias")
@click.argument("snapshot")
@click.option("--reason", "-m", required=True, help="why the pin moves (recorded)")
@workload_option
@server_options
def set_command(
    alias: str, snapshot: str, reason: str, workload: str | None, server: str | None, key: str | None
) -> None:
    """Pin ALIAS to SNAPSHOT for the workload."""
    change = connect(server, key).put(
        pin_path(alias), {"snapshot": snapshot, "reason": reason, **({"workload": workload} if workload else {})}
    )
    click.echo(f"{change['workload']}: {alias} pinned to {change['to']} (was {change['from'] or 'unpinned'})")


@pins_group.command("rollback")
@click.argument("alias")
@click.option("--reason", "-m", default="rollback", show_default=True, help="why the pin moves back (recorded)")
@workload_option
@server_options
def rollback_command(alias: str, reason: str, workload: str | None, server: str | None, key: str | None) -> None:
    """Restore the pin ALIAS had before its last change."""
    rollback_pin(connect(server, key), alias, reason, workload)


def rollback_pin(client: ApiClient, alias: str, reason: str, workload: str | None) -> None:
    body = {"reason": reason, **({"workload": workload} if workload else {})}
    change = client.post(pin_path(alias, "rollback"), body)
    click.echo(f"{change['workload']}: {alias} pinned back to {change['to'] or 'nothing'} (was {change['from']})")


@pins_group.command("history")
@click.option("--alias", default=None, help="only this alias")
@workload_option
@format_option("table", "json", "csv")
@server_options
def history_command(alias: str | None, workload: str | None, fmt: str, server: str | None, key: str | None) -> None:
    """Every change of the workload's pins, newest first: who, when, from, to, why, which report."""
    data = connect(server, key).get("/api/models/pins/history", {"workload": workload, "alias": alias})
    emit(data["data"], CHANGE_COLUMNS, fmt, title="Pin changes")
