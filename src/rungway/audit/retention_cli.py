"""`rungway audit hold|release|holds|erase`: legal holds and retention, on the store directly.

A hold or release is itself recorded in the trail (who, when, why). `erase` runs what a server runs every
`audit.retention_check_minutes`: the content of records past their retention, not held, is erased (the
records and their digests stay, so `verify` still passes).
"""

from __future__ import annotations

import json
import sys
import time

import click

from rungway.audit.config import AUDIT_SECTION, AuditSettings
from rungway.audit.public import cli_actor, record_change
from rungway.audit.retention import ALL_WORKLOADS, erase_expired, hold_workload, list_holds, place_hold, release_hold
from rungway.cli.options import command_config, config_option, format_option, open_store
from rungway.cli.render import Column, emit, fmt_time

__all__ = ["add_retention_commands"]

HOLD_COLUMNS = [
    Column("workload", "Workload"),
    Column("reason", "Reason"),
    Column("actor", "Placed by"),
    Column("since", "Since", fmt_time),
]
REASON_CHARS = 500


def _settings(config_path: str | None) -> AuditSettings:
    return command_config(config_path).section(AUDIT_SECTION)


def _workload(value: str) -> str:
    try:
        return hold_workload(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("hold")
@click.argument("workload", callback=lambda _c, _p, v: _workload(v))
@click.option("--reason", required=True, help="Why (a matter, a ticket): shown with the hold and recorded")
@config_option
def hold_command(workload: str, reason: str, config_path: str | None) -> None:
    """Place a legal hold: nothing of WORKLOAD (`*`: of any workload) is erased until it is released."""
    if not reason.strip() or len(reason) > REASON_CHARS:
        raise click.BadParameter(f"give a reason of 1 to {REASON_CHARS} characters", param_hint="--reason")
    engine = open_store(config_path)
    hold = place_hold(engine, workload, reason.strip(), cli_actor(), time.time())
    scope = None if workload == ALL_WORKLOADS else workload
    record_change(engine, "audit.hold.place", object_type="audit_holds", object_id=workload, workload=scope,
                  request={"reason": hold.reason})  # fmt: skip
    engine.dispose()
    click.echo(f"Hold placed on {workload}: nothing of it is erased until `rungway audit release {workload}`.")


@click.command("release")
@click.argument("workload", callback=lambda _c, _p, v: _workload(v))
@config_option
def release_command(workload: str, config_path: str | None) -> None:
    """Release WORKLOAD's legal hold: its records past retention are erased at the next run."""
    engine = open_store(config_path)
    released = release_hold(engine, workload)
    if released is None:
        engine.dispose()
        raise click.ClickException(f"no hold on {workload}; `rungway audit holds` lists the holds")
    record_change(engine, "audit.hold.release", object_type="audit_holds", object_id=workload,
                  workload=None if workload == ALL_WORKLOADS else workload,
                  before={"reason": released.reason, "actor": released.actor})  # fmt: skip
    engine.dispose()
    click.echo(f"Hold on {workload} released.")


@click.command("holds")
@config_option
@format_option("table", "csv", "json")
def holds_command(config_path: str | None, fmt: str) -> None:
    """The legal holds in force."""
    engine = open_store(config_path)
    rows = [h.as_dict() for h in list_holds(engine)]
    engine.dispose()
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    emit(rows, HOLD_COLUMNS, fmt, title="Legal holds")


@click.command("erase")
@config_option
def erase_command(config_path: str | None) -> None:
    """Erase now the content of records past their retention (`audit.retention_days`), holds respected."""
    settings = _settings(config_path)
    if not settings.retains:
        click.echo("Nothing to erase: audit.retention_days is 0 (content is kept) and no workload sets a retention.")
        return
    engine = open_store(config_path)
    run = erase_expired(engine, settings, time.time())
    engine.dispose()
    detail = ", ".join(f"{name or '(no workload)'}: {n}" for name, n in sorted(run.by_workload.items()))
    click.echo(f"Erased the content of {run.erased} record(s){' (' + detail + ')' if detail else ''}.")


def add_retention_commands(group: click.Group) -> None:
    for command in (hold_command, release_command, holds_command, erase_command):
        group.add_command(command)
