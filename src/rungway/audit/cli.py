"""`rungway audit verify|list|export|keygen`: check the tamper-evident trail, read it, hand it to an auditor.

`hold|release|holds|erase` (legal holds and retention) are in retention_cli.py.

Every command reads the store directly, so it works with or without a server running. `verify` exits 0 with a
summary, or 1 naming the first record that was changed, removed or inserted.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from rungway.audit.api import record_dict
from rungway.audit.retention_cli import add_retention_commands
from rungway.audit.service import export_bundle, parse_position, verify_store
from rungway.audit.signing import ENV_VAR, new_seed, public_raw_of_pem, signer_from_env
from rungway.audit.store import list_records
from rungway.cli.options import config_option, format_option, open_store
from rungway.cli.render import Column, console, emit, fmt_time
from rungway.domain.timespec import TimeSpecError, parse_instant

__all__ = ["audit_group"]

COLUMNS = [
    Column("seq", "Seq", str, justify="right"),
    Column("ts", "Time", fmt_time),
    Column("actor", "Actor"),
    Column("via", "Via"),
    Column("action", "Action"),
    Column("object_id", "Object"),
    Column("workload", "Workload"),
    Column("status", "Status", str, justify="right"),
]


def _public_raw(public_key: Path | None) -> bytes | None:
    if public_key is not None:
        return public_raw_of_pem(public_key.read_bytes())
    signer = signer_from_env()
    return None if signer is None else signer.public_raw


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit trail: verify it, list it, export it for an auditor."""


@audit_group.command("verify")
@click.option("--since", default=None, help="From this seq, or the first record at or after a time (7d, ISO date)")
@click.option("--public-key", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help=f"The PEM public key checkpoints were signed with (default: the key in ${ENV_VAR})")  # fmt: skip
@config_option
def verify_command(since: str | None, public_key: Path | None, config_path: str | None) -> None:
    """Recompute every record's hash and link and every checkpoint's signature."""
    engine = open_store(config_path)
    start = parse_position(engine, since, time.time(), "--since")
    report = verify_store(engine, start, _public_raw(public_key))
    engine.dispose()
    out = console()
    out.print(report.summary(), markup=False, soft_wrap=True)
    if report.unsigned and report.intact:
        out.print(f"Checkpoints are unsigned: set {ENV_VAR} (`rungway audit keygen`) on the servers.", markup=False)
    if report.intact:
        return
    for found in report.problems:
        click.echo(f"  {found.kind}: {found.message}", err=True)
    sys.exit(1)


@audit_group.command("list")
@click.option("--workload", "-w", default=None, help="Only this workload's records")
@click.option("--actor", default=None, help="Only this actor's records")
@click.option("--action", default=None, help="Only this action (`*` matches any text: `keys.*`)")
@click.option("--since", default=None, help="From this time: 7d, an ISO date or epoch seconds")
@click.option("--until", default=None, help="Before this time")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@config_option
@format_option("table", "csv", "json")
def list_command(workload: str | None, actor: str | None, action: str | None, since: str | None,
                 until: str | None, limit: int, config_path: str | None, fmt: str) -> None:  # fmt: skip
    """Audit records, newest first."""
    now = time.time()
    try:
        since_ts = None if since is None else parse_instant(since, now)
        until_ts = None if until is None else parse_instant(until, now)
    except TimeSpecError as exc:
        raise click.BadParameter(str(exc)) from None
    engine = open_store(config_path)
    found = list_records(engine, workload=workload, actor=actor, action=action, since_ts=since_ts,
                         until_ts=until_ts, limit=limit)  # fmt: skip
    engine.dispose()
    rows = [record_dict(r) for r in found]
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    emit(rows, COLUMNS, fmt, title="Audit records")


@audit_group.command("export")
@click.option("--since", default=None, help="From this seq or time (default: the chain's start)")
@click.option("--until", default=None, help="Up to this seq, or before this time (default: the last record)")
@click.option("--workload", "-w", default=None, help="Only this workload's records in full (others: hashes only)")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The directory to write the bundle to")  # fmt: skip
@config_option
def export_command(since: str | None, until: str | None, workload: str | None, out_dir: Path,
                   config_path: str | None) -> None:  # fmt: skip
    """Write records.jsonl, checkpoints.jsonl, public_key.pem and verify.py for an auditor."""
    engine = open_store(config_path)
    now = time.time()
    start = parse_position(engine, since, now, "--since")
    end = parse_position(engine, until, now, "--until")
    if end is not None and until is not None and not until.strip().isdigit():
        end -= 1  # a time: the records before it
    signer = signer_from_env()
    bundle = export_bundle(engine, out_dir, start, end, workload, None if signer is None else signer.public_pem())
    engine.dispose()
    note = "" if bundle.signed else f" (no public key: {ENV_VAR} is not set, so checkpoints are unsigned)"
    console().print(f"Wrote {bundle.records} record(s), {bundle.omitted} linked by hash only, {bundle.checkpoints} "
                    f"checkpoint(s) to {bundle.directory}{note}. Check it with: python verify.py {bundle.directory}",
                    markup=False, soft_wrap=True)  # fmt: skip


@audit_group.command("keygen")
def keygen_command() -> None:
    """Print a new checkpoint signing key (base64 of an Ed25519 seed) for RUNGWAY_AUDIT_SIGNING_KEY."""
    click.echo(new_seed())


add_retention_commands(audit_group)
