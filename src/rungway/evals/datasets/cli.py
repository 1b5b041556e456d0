"""`rungway datasets list|show|create|import|export|add-from-traces`: versioned eval datasets, on the store.

Like the other store commands, these work on the database directly (no server needed) and act as the
operator: they may write any workload's dataset or a shared one (`--shared`). A file's mistakes are
reported as `file:line: field: problem. Fix: ...` and the command exits 1 without a traceback.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine

from rungway.cli.options import config_option, format_option, open_store
from rungway.cli.render import Column, emit, fmt_time
from rungway.errors import InvalidRequest, NotFound
from rungway.evals.actor import Actor
from rungway.evals.datasets import service
from rungway.evals.datasets.formats import FORMATS, MAX_FILE_BYTES, ParsedDataset, parse_dataset, write_jsonl
from rungway.evals.datasets.from_traces import SpanFilter, cases_from_traces, parse_filters
from rungway.evals.datasets.model import Case, DatasetVersion, check_unique_keys
from rungway.evals.datasets.schemas import version_json
from rungway.services.logs import parse_time

__all__ = ["datasets_group"]

LIST_COLUMNS = [
    Column("name", "Dataset"),
    Column("workload", "Workload", lambda v: v or "(shared)"),
    Column("latest_version", "Version", justify="right"),
    Column("case_count", "Cases", justify="right"),
    Column("updated_at", "Updated (UTC)", fmt_time),
]
CASE_COLUMNS = [
    Column("key", "Key"),
    Column("input", "Input"),
    Column("expected", "Expected"),
    Column("assertions", "Asserts", justify="right"),
    Column("tags", "Tags"),
]

_workload = click.option("--workload", "-w", default=None, help="The workload whose dataset this is")
_shared = click.option("--shared", is_flag=True, help="A shared dataset, readable by every workload")


def _split_ref(ref: str) -> tuple[str, int | None]:
    """NAME or NAME@VERSION (latest: the newest)."""
    name, sep, version = ref.partition("@")
    if not sep or version == "latest":
        return name, None
    if not version.isdigit() or int(version) < 1:
        raise InvalidRequest(f"{ref!r}: write NAME or NAME@VERSION with a version number, e.g. support-qa@3")
    return name, int(version)


def _scope(workload: str | None, shared: bool) -> str | None:
    if shared and workload:
        raise InvalidRequest("give --workload or --shared, not both")
    if not shared and not workload:
        raise InvalidRequest("say whose dataset this is: --workload NAME, or --shared for every workload")
    return workload


def _read_file(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    file = Path(path)
    if not file.is_file():
        raise InvalidRequest(f"{path}: no such file. Fix: check the path")
    if file.stat().st_size > MAX_FILE_BYTES:
        raise InvalidRequest(f"{path}: larger than {MAX_FILE_BYTES // 1024 // 1024} MB. Fix: split the dataset")
    try:
        return file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"{path}: byte {exc.start} is not UTF-8. Fix: save the file as UTF-8") from None


def _report(made: service.VersionCreated, parsed_format: str) -> None:
    v = made.version
    if made.created:
        click.echo(f"created {v.ref}: {v.case_count} cases ({parsed_format}), hash {v.content_hash[:12]}")
    else:
        click.echo(f"unchanged: {v.ref} already holds these {v.case_count} cases (hash {v.content_hash[:12]})")


def _store_version(engine: Engine, name: str, workload: str | None, parsed: ParsedDataset, source: str,
                   description: str) -> None:  # fmt: skip
    made = service.create_version(
        engine,
        workload=workload,
        name=name,
        cases=parsed.cases,
        default_assertions=parsed.default_assertions,
        description=description,
        source=source,
        actor=Actor.admin("cli"),
    )
    _report(made, parsed.format)


@click.group("datasets")
def datasets_group() -> None:
    """Versioned eval datasets: cases with inputs, expected outputs and assertions, per workload or shared."""


@datasets_group.command("list")
@_workload
@click.option("--all", "everything", is_flag=True, help="Every workload's datasets")
@config_option
@format_option("table", "json", "csv")
def list_command(workload: str | None, everything: bool, config_path: str | None, fmt: str) -> None:
    """List datasets: a workload's and the shared ones (--all: every workload's)."""
    found = service.list_datasets(open_store(config_path), workload=workload, everything=everything)
    rows = [
        {"name": d.name, "workload": d.workload, "latest_version": d.latest_version, "case_count": d.case_count,
         "updated_at": d.updated_at}
        for d in found
    ]  # fmt: skip
    emit(rows, LIST_COLUMNS, fmt, title="Datasets")


def _case_row(case: Case) -> dict[str, Any]:
    shown = case.vars if case.vars else (case.messages or [{}])[-1].get("content", "")
    text = str(shown)
    return {
        **case.to_json(),
        "input": text if len(text) <= 60 else text[:57] + "...",
        "expected": (case.expected or "")[:40],
        "assertions": len(case.assertions),
        "tags": ", ".join(case.tags),
    }


@datasets_group.command("show")
@click.argument("ref", metavar="NAME[@VERSION]")
@_workload
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="Cases to show")
@config_option
@format_option("table", "json")
def show_command(ref: str, workload: str | None, limit: int, config_path: str | None, fmt: str) -> None:
    """A version (default: the newest) and its first cases."""
    engine = open_store(config_path)
    name, number = _split_ref(ref)
    version = service.get_version(engine, workload=workload, name=name, version=number)
    cases = service.get_cases(engine, version, limit=limit)
    if fmt == "json":
        emit([{**version_json(version), "cases": [c.to_json() for c in cases]}], [], "json")
        return
    click.echo(f"{version.ref}  {version.workload or '(shared)'}  {version.case_count} cases  "
               f"hash {version.content_hash[:12]}  by {version.author}  {fmt_time(version.created_at)}")  # fmt: skip
    if version.default_assertions:
        click.echo(f"default assertions: {', '.join(str(a.get('type')) for a in version.default_assertions)}")
    emit([_case_row(c) for c in cases], CASE_COLUMNS, "table")


def _import(engine: Engine, name: str, workload: str | None, path: str, fmt: str | None, description: str) -> None:
    where = "<stdin>" if path == "-" else path
    parsed = parse_dataset(where, _read_file(path), fmt if fmt else None, allow_python=True)  # the team's own file
    source = "stdin" if path == "-" else Path(path).name
    _store_version(engine, name, workload, parsed, source, description)


@datasets_group.command("create")
@click.argument("name")
@click.option("--file", "path", default="-", show_default=True, help="Cases to start from (- reads stdin)")
@_workload
@_shared
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="Default: from the file name")
@click.option("--description", "-m", default="", help="What this version is for")
@config_option
def create_command(name: str, path: str, workload: str | None, shared: bool, fmt: str | None, description: str,
                   config_path: str | None) -> None:  # fmt: skip
    """Create dataset NAME (or a new version of it) from a file or stdin (JSONL unless --format says)."""
    scope = _scope(workload, shared)
    _import(open_store(config_path), name, scope, path, fmt or ("jsonl" if path == "-" else None), description)


@datasets_group.command("import")
@click.argument("path", metavar="FILE")
@click.option("--name", default=None, help="Dataset name (default: the file name without its extension)")
@_workload
@_shared
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="Default: from the file name")
@click.option("--description", "-m", default="", help="What this version is for")
@config_option
def import_command(path: str, name: str | None, workload: str | None, shared: bool, fmt: str | None,
                   description: str, config_path: str | None) -> None:  # fmt: skip
    """Import a JSONL, JSON, CSV, YAML or promptfoo test file as a version (the same cases: the same version)."""
    scope = _scope(workload, shared)
    _import(open_store(config_path), name or Path(path).stem, scope, path, fmt, description)


@datasets_group.command("export")
@click.argument("ref", metavar="NAME[@VERSION]")
@_workload
@click.option("--output", "-o", default="-", show_default=True, help="File to write (- is stdout)")
@config_option
def export_command(ref: str, workload: str | None, output: str, config_path: str | None) -> None:
    """Write a version as JSONL (it imports back as the same version)."""
    engine = open_store(config_path)
    name, number = _split_ref(ref)
    version = service.get_version(engine, workload=workload, name=name, version=number)
    lines = write_jsonl(service.export_cases(engine, version), version.default_assertions)
    if output == "-":
        for line in lines:
            sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()
        return
    with Path(output).open("wb") as out:
        for line in lines:
            out.write(line)
    click.echo(f"wrote {version.ref} ({version.case_count} cases) to {output}", err=True)


def _with_earlier(engine: Engine, earlier: DatasetVersion | None, new: tuple[Case, ...]) -> tuple[list[Case], int]:
    """The earlier version's cases, then the new ones whose key it does not hold (a trace is copied once)."""
    kept = list(service.export_cases(engine, earlier)) if earlier is not None else []
    keys = {c.key for c in kept}
    added = [c for c in new if c.key not in keys]
    return kept + added, len(added)


@datasets_group.command("add-from-traces")
@click.argument("name")
@click.option("--workload", "-w", required=True, help="The workload whose traces to copy (and whose dataset)")
@click.option("--trace-id", "trace_ids", multiple=True, help="A trace to copy (repeatable)")
@click.option("--filter", "filters", multiple=True, help="FIELD=VALUE: model, user, session, status, name, "
              "tag=KEY:VALUE (repeatable)")  # fmt: skip
@click.option("--since", default="7d", show_default=True, help="With --filter: spans since (7d, ISO date, epoch)")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000), help="At most this many")
@click.option("--no-output", is_flag=True, help="Do not keep the call's output as the case's expected reference")
@config_option
def add_from_traces_command(name: str, workload: str, trace_ids: tuple[str, ...], filters: tuple[str, ...],
                            since: str, limit: int, no_output: bool, config_path: str | None) -> None:  # fmt: skip
    """Copy production calls (their input messages, and output as a candidate reference) into a new version of
    NAME, each case linked to its trace."""
    if bool(trace_ids) == bool(filters):
        raise InvalidRequest("give --trace-id ... or --filter ..., one of the two")
    engine = open_store(config_path)
    wanted = SpanFilter(workload, tuple(t.lower() for t in trace_ids), parse_filters(filters),
                        parse_time(since, time.time(), "since") or 0.0, limit)  # fmt: skip
    found = cases_from_traces(engine, wanted, with_output=not no_output)
    skipped = f" ({found.skipped} matching spans had no stored input messages)" if found.skipped else ""
    if not found.cases:
        raise InvalidRequest(f"no llm spans of workload {workload!r} matched{skipped}. Fix: check the trace ids or "
                             "filters with `rungway traces list`")  # fmt: skip
    try:
        earlier: DatasetVersion | None = service.get_version(engine, workload=workload, name=name)
    except NotFound:  # a new dataset starts here
        earlier = None
    cases, added = _with_earlier(engine, earlier, found.cases)
    check_unique_keys(cases, [f"case {c.key}" for c in cases])
    defaults = earlier.default_assertions if earlier is not None else ()
    parsed = ParsedDataset(tuple(cases), defaults, "traces")
    click.echo(f"{added} new case(s) from traces{skipped}")
    _store_version(engine, name, workload, parsed, "traces", f"{added} case(s) from traces")
