"""`rungway prompts list|show|history|diff|create|label|approve|reject`: the prompt library from a terminal.

Unlike most command groups, these talk to a running server over HTTP (`/api/prompts`), so every
change meets the server's rules and is recorded under the key that made it: approving needs a
person's key (`rungway keys create --person --owner NAME`) that is not the author's. The server is
`--server` (else RUNGWAY_URL, else http://127.0.0.1:4000) and the key `--key` (else
RUNGWAY_API_KEY, else RUNGWAY_ADMIN_KEY). Other prompt commands (push, pull, import) join this group.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import click

from rungway.cli.api_client import ApiClient, connect, server_options
from rungway.cli.options import format_option
from rungway.cli.render import Column, console, emit
from rungway.errors import ConfigError
from rungway.prompts.content_file import read_content_file

__all__ = ["connect", "prompts_group", "server_options"]

F = TypeVar("F", bound=Callable[..., Any])


def _workload_option(f: F) -> F:
    return click.option(
        "--workload", "-w", default=None, help="whose prompts (an admin key names one; other keys use their own)"
    )(f)


def _path(name: str, *rest: str) -> str:
    return "/api/prompts/" + "/".join(quote(part, safe="") for part in (name, *rest))


@click.group("prompts")
def prompts_group() -> None:
    """Versioned prompts: create, review, promote by label, and diff."""


LIST_COLUMNS = [
    Column("name", "Prompt"),
    Column("workload", "Workload", lambda v: v or "shared"),
    Column("latest_version", "Latest", justify="right"),
    Column("labels", "Labels", lambda v: ", ".join(f"{k}={n}" for k, n in sorted(v.items()))),
    Column("updated_at", "Updated (UTC)"),
]
VERSION_COLUMNS = [
    Column("version", "Version", justify="right"),
    Column("labels", "Labels", lambda v: ", ".join(v)),
    Column("author", "Author"),
    Column("created_at", "Created (UTC)"),
    Column("message", "Message"),
    Column("hash", "Hash", lambda v: v[:12]),
]
MOVE_COLUMNS = [
    Column("moved_at", "Moved (UTC)"),
    Column("label", "Label"),
    Column("from_version", "From", lambda v: "-" if v is None else str(v), justify="right"),
    Column("to_version", "To", justify="right"),
    Column("actor", "By"),
    Column("approvers", "Approved by", lambda v: ", ".join(v) or "-"),
    Column("reason", "Why"),
]


@prompts_group.command("list")
@_workload_option
@server_options
@format_option("table", "json", "csv")
def list_command(workload: str | None, server: str | None, key: str | None, fmt: str) -> None:
    """List the prompts this key sees: its workload's and the shared ones."""
    answer = connect(server, key).get("/api/prompts", {"workload": workload})
    emit(answer["data"], LIST_COLUMNS, fmt, title="Prompts")


@prompts_group.command("show")
@click.argument("name")
@click.option("--version", "-v", "version", type=click.IntRange(1), default=None, help="a version number")
@click.option("--label", "-l", default=None, help="a label (default: the newest version)")
@_workload_option
@server_options
@format_option("text", "json")
def show_command(
    name: str,
    version: int | None,
    label: str | None,
    workload: str | None,
    server: str | None,
    key: str | None,
    fmt: str,
) -> None:
    """Show a prompt version: its messages, variables, model and parameters."""
    found = connect(server, key).get(_path(name), {"version": version, "label": label, "workload": workload})
    if fmt == "json":
        click.echo(json.dumps(found, indent=2))
        return
    out = console()
    scope = found["workload"] or "shared"
    labels = ", ".join(found["labels"]) or "none"
    out.print(f"[bold]{found['name']}@{found['version']}[/bold] ({scope}) labels: {labels}", markup=True)
    out.print(f"by {found['author']} at {found['created_at']}: {found['message'] or '(no message)'}", markup=False)
    content = found["content"]
    params = ", ".join(f"{k}={json.dumps(v)}" for k, v in content["parameters"].items()) or "none"
    out.print(f"model: {content['model'] or '(the call decides)'}; parameters: {params}", markup=False)
    for variable in content["variables"]:
        default = f", default {json.dumps(variable['default'])}" if "default" in variable else ""
        need = "required" if variable["required"] else "optional"
        out.print(f"  variable {variable['name']}: {variable['type']}, {need}{default}", markup=False)
    for message in content["messages"]:
        out.print(f"\n[bold]{message['role']}[/bold]", markup=True)
        out.print(message["content"], markup=False, highlight=False)


@prompts_group.command("history")
@click.argument("name")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100), help="versions to show")
@_workload_option
@server_options
@format_option("table", "json")
def history_command(name: str, limit: int, workload: str | None, server: str | None, key: str | None, fmt: str) -> None:
    """A prompt's versions (newest first) and every move of its labels."""
    client = connect(server, key)
    versions = client.get(_path(name, "versions"), {"limit": limit, "workload": workload})["data"]
    moves = client.get(_path(name, "moves"), {"workload": workload})["data"]
    if fmt == "json":
        click.echo(json.dumps({"versions": versions, "moves": moves}, indent=2))
        return
    emit(versions, VERSION_COLUMNS, "table", title=f"Versions of {name}")
    emit(moves, MOVE_COLUMNS, "table", title=f"Label moves of {name}")


@prompts_group.command("diff")
@click.argument("name")
@click.argument("before", required=False)
@click.argument("after", required=False)
@_workload_option
@server_options
@format_option("text", "json")
def diff_command(
    name: str,
    before: str | None,
    after: str | None,
    workload: str | None,
    server: str | None,
    key: str | None,
    fmt: str,
) -> None:
    """What changed from BEFORE to AFTER (version numbers or labels; default: the newest and the one before)."""
    diff = connect(server, key).get(_path(name, "diff"), {"from": before, "to": after, "workload": workload})
    if fmt == "json":
        click.echo(json.dumps(diff, indent=2))
        return
    if diff["identical"]:
        click.echo(f"{diff['from']} and {diff['to']} have the same content")
        return
    for message in diff["messages"]:
        roles = f"{message['role_before'] or '-'} -> {message['role_after'] or '-'}"
        click.echo(f"message {message['index']} ({message['status']}, {roles})")
        click.echo(message["unified"], nl=False)
    variables = diff["variables"]
    for name_added in variables["added"]:
        click.echo(f"variable added: {name_added}")
    for name_removed in variables["removed"]:
        click.echo(f"variable removed: {name_removed}")
    for change in (*variables["changed"], *([diff["model"]] if diff["model"] else []), *diff["parameters"]):
        click.echo(f"{change['name']}: {json.dumps(change['before'])} -> {json.dumps(change['after'])}")


@prompts_group.command("create")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--name", "-n", default=None, help="the prompt's name (default: `name` in the file)")
@_workload_option
@click.option("--shared", is_flag=True, help="a shared prompt, readable by every workload (admin keys only)")
@click.option("--message", "-m", default=None, help="the commit message (default: `message` in the file)")
@server_options
def create_command(
    file: str,
    name: str | None,
    workload: str | None,
    shared: bool,
    message: str | None,
    server: str | None,
    key: str | None,
) -> None:
    """Create a version from FILE (YAML or JSON: messages, variables, model, parameters); the same content
    as an existing version makes no new one."""
    read = read_content_file(file)
    prompt_name = name or read.name
    if not prompt_name:
        raise ConfigError(f"{file}: the prompt has no name. Fix: add `name:` to the file or pass --name")
    body: dict[str, Any] = {"name": prompt_name, **read.content.to_json(), "message": message or read.message or ""}
    target = workload or (None if shared or read.shared else read.workload)
    if target is not None:
        body["workload"] = target
    if (shared or read.shared) and workload is None:
        body["shared"] = True
    made = connect(server, key).post("/api/prompts", body)
    scope = made["workload"] or "shared"
    if made["created"]:
        click.echo(f"created {made['name']}@{made['version']} ({scope}), hash {made['hash'][:12]}")
    else:
        click.echo(f"unchanged: {made['name']}@{made['version']} ({scope}) has this content already")


@prompts_group.command("label")
@click.argument("name")
@click.argument("label")
@click.argument("version", type=click.IntRange(1))
@click.option("--reason", "-r", required=True, help="why the label moves (recorded)")
@_workload_option
@server_options
def label_command(
    name: str, label: str, version: int, reason: str, workload: str | None, server: str | None, key: str | None
) -> None:
    """Point LABEL at VERSION (protected labels need approvals by someone other than the author)."""
    move = connect(server, key).post(
        _path(name, "labels", label), {"version": version, "reason": reason}, {"workload": workload}
    )
    before = "nothing" if move["from_version"] is None else f"version {move['from_version']}"
    approvals = f", approved by {', '.join(move['approvers'])}" if move["approvers"] else ""
    click.echo(f"{name} {label}: {before} -> version {move['to_version']}{approvals}")


def _review(name: str, version: int, decision: str, comment: str, workload: str | None, client: ApiClient) -> None:
    made = client.post(
        _path(name, "versions", str(version), "reviews"),
        {"decision": decision, "comment": comment},
        {"workload": workload},
    )
    done = "approved" if decision == "approve" else "rejected"
    click.echo(f"{made['reviewer']} {done} {name}@{version}: {made['comment']}")


@prompts_group.command("approve")
@click.argument("name")
@click.argument("version", type=click.IntRange(1))
@click.option("--comment", "-c", required=True, help="what you checked")
@_workload_option
@server_options
def approve_command(
    name: str, version: int, comment: str, workload: str | None, server: str | None, key: str | None
) -> None:
    """Approve VERSION (with a person's key; never your own version)."""
    _review(name, version, "approve", comment, workload, connect(server, key))


@prompts_group.command("reject")
@click.argument("name")
@click.argument("version", type=click.IntRange(1))
@click.option("--comment", "-c", required=True, help="what has to change")
@_workload_option
@server_options
def reject_command(
    name: str, version: int, comment: str, workload: str | None, server: str | None, key: str | None
) -> None:
    """Reject VERSION: it cannot reach a protected label until you approve it."""
    _review(name, version, "reject", comment, workload, connect(server, key))
