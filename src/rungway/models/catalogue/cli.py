"""`rungway models catalogue list|show|approve|deprecate|block|unblock`: the model catalogue from a terminal.

Over HTTP to a running server (`/api/models/catalogue`): `--server` (else RUNGWAY_URL, else
http://127.0.0.1:4000) and `--key` (else RUNGWAY_API_KEY, else RUNGWAY_ADMIN_KEY). Changes need an
admin key and are recorded with who, when, why (`--comment`) and the evidence (`--evidence
eval_run:RUN_ID`, `redteam_run:ID` or `note:ID`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import click

from rungway.cli.api_client import DEFAULT_SERVER, connect
from rungway.cli.options import format_option
from rungway.cli.render import Column, console, emit

__all__ = ["catalogue_group"]

F = TypeVar("F", bound=Callable[..., Any])

LIST_COLUMNS = [
    Column("name", "Model"),
    Column("provider", "Provider"),
    Column("status", "Status"),
    Column("floating", "Floating", lambda v: "alias" if v else ""),
    Column("deprecated", "Deprecated"),
    Column("sunset", "Sunset"),
    Column("successor", "Successor"),
    Column("approval", "Approved by", lambda v: f"{v['actor']} {v['at'][:10]}" if v else ""),
]


def _server_options(f: F) -> F:
    f = click.option(
        "--key", "key", metavar="KEY", help="API key (default: $RUNGWAY_API_KEY, else $RUNGWAY_ADMIN_KEY)"
    )(f)
    return click.option(
        "--server", "server", metavar="URL", help=f"the Rungway server (default: $RUNGWAY_URL, else {DEFAULT_SERVER})"
    )(f)


def _path(name: str, *rest: str) -> str:
    return "/api/models/catalogue/" + "/".join(quote(part, safe="") for part in (name, *rest))


@click.group("catalogue")
def catalogue_group() -> None:
    """The model catalogue: statuses, dates, successors and approvals."""


@catalogue_group.command("list")
@click.option("--status", type=click.Choice(["approved", "preview", "deprecated", "blocked"]), default=None)
@click.option("--provider", default=None, help="only this provider's models")
@_server_options
@format_option("table", "json", "csv")
def list_command(status: str | None, provider: str | None, server: str | None, key: str | None, fmt: str) -> None:
    """List the catalogue's models with status, dates, successor and approval."""
    answer = connect(server, key).get("/api/models/catalogue", {"status": status, "provider": provider})
    emit(answer["data"], LIST_COLUMNS, fmt, title=f"Model catalogue (as of {answer['as_of']})")


@catalogue_group.command("show")
@click.argument("name")
@_server_options
@format_option("text", "json")
def show_command(name: str, server: str | None, key: str | None, fmt: str) -> None:
    """Show one model: what it is, its lifecycle and its approvals."""
    found = connect(server, key).get(_path(name))
    if fmt == "json":
        click.echo(json.dumps(found, indent=2))
        return
    out = console()
    alias = f" (floating alias of {found['alias_of'] or 'an unnamed snapshot'})" if found["floating"] else ""
    out.print(f"[bold]{found['name']}[/bold]{alias}: {found['provider']}, {found['status']}", markup=True)
    facts = {
        "snapshot": found["snapshot"],
        "context window": found["context_window"],
        "max output": found["max_output"],
        "price (USD / 1M)": f"{found['price']['input']} in, {found['price']['output']} out" if found["price"] else None,
        "capabilities": ", ".join(found["capabilities"]) or None,
        "deprecated": found["deprecated"],
        "sunset": found["sunset"],
        "successor": found["successor"],
        "owner": found["owner"],
    }
    for label, value in facts.items():
        out.print(f"  {label}: {'-' if value is None else value}", markup=False)
    for change in found["history"]:
        evidence = change["evidence"]
        shown = f" [{evidence['kind']}:{evidence['id'] or 'hidden'}]" if evidence else ""
        line = f"  {change['at']} {change['action']} by {change['actor']}{shown}: {change['comment'] or '-'}"
        out.print(line, markup=False)


def _evidence(raw: str | None) -> dict[str, str] | None:
    if raw is None:
        return None
    kind, _, ident = raw.partition(":")
    if kind not in ("eval_run", "redteam_run", "note") or not ident:
        raise click.BadParameter("write KIND:ID, KIND one of eval_run, redteam_run, note", param_hint="--evidence")
    return {"kind": kind, "id": ident}


def _change(action: str, name: str, server: str | None, key: str | None, body: dict[str, Any]) -> None:
    answer = connect(server, key).post(_path(name, action), {k: v for k, v in body.items() if v is not None})
    click.echo(f"{name}: {answer['status']} ({answer['action']} by {answer['actor']} at {answer['at']})")


def _change_command(action: str, help_text: str, dates: bool = False) -> None:
    def run(name: str, server: str | None, key: str | None, evidence: str | None, **fields: str | None) -> None:
        _change(action, name, server, key, {**fields, "evidence": _evidence(evidence)})

    run.__doc__ = help_text
    command: Any = run
    if dates:
        command = click.option("--sunset", default=None, metavar="YYYY-MM-DD", help="the date the model goes away")(
            command
        )
        command = click.option("--deprecated", default=None, metavar="YYYY-MM-DD", help="default: today")(command)
    command = click.option("--successor", default=None, help="the catalogue model to use instead")(command)
    command = click.option(
        "--evidence", default=None, metavar="KIND:ID", help="eval_run:ID, redteam_run:ID or note:ID"
    )(command)
    command = click.option("--comment", "-m", default=None, help="why")(command)
    command = _server_options(command)
    catalogue_group.command(action)(click.argument("name")(command))


_change_command("approve", "Approve a model (admin), with the evaluation or red-team run that justifies it.")
_change_command("deprecate", "Deprecate a model (admin): callers get Deprecation and Sunset headers.", dates=True)
_change_command("block", "Block a model (admin): calls to it are refused naming the successor.")
_change_command("unblock", "Unblock a model (admin): it returns to the status the configuration gives it.")
