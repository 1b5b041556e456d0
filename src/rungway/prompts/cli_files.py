"""`rungway prompts push|pull|import`: prompts kept as files in a team's repository, and imports from other tools.

These join the `prompts` group (`prompts/cli.py`) and talk to a running server the same way, so a
version a push or an import creates is checked and recorded like one made through the API. The
rules (what a push creates, where a pull writes, which labels an import moves) live in
`prompts/sync.py`; the file formats in `prompts/files.py` and `prompts/imports.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from rungway.errors import Conflict
from rungway.prompts.cli import connect, prompts_group, server_options
from rungway.prompts.files import read_prompt_dir
from rungway.prompts.imports import IMPORT_FORMATS, ImportedPrompt, import_file
from rungway.prompts.remote import ApiRegistry
from rungway.prompts.sync import ImportResult, PullResult, PushItem, import_prompts, plan_push, pull, push

__all__ = ["PromptsDiffer", "import_command", "prompts_group", "pull_command", "push_command"]

MAX_IMPORT_FILES = 100
F = TypeVar("F", bound=Callable[..., Any])


class PromptsDiffer(Conflict):
    """`push --check`: files and registry differ (exit 1, so CI fails)."""

    default_code = "prompts_differ"


def _workload_option(f: F) -> F:
    return click.option(
        "--workload", "-w", default=None, help="the workload (default: each file's `workload:`, else the key's own)"
    )(f)


def _format_option(f: F) -> F:
    return click.option(
        "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format"
    )(f)


@prompts_group.command("push")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@_workload_option
@click.option("--check", is_flag=True, help="write nothing; exit 1 listing each file that differs from the registry")
@click.option("--message", "-m", default=None, help="the commit message of each new version (default: the file's)")
@server_options
@_format_option
def push_command(
    directory: Path,
    workload: str | None,
    check: bool,
    message: str | None,
    server: str | None,
    key: str | None,
    fmt: str,
) -> None:
    """Create a version for each prompt file in DIRECTORY whose content differs from the newest version.

    Labels never move: a new version reaches traffic when a label is moved to it (`rungway prompts label`).
    """
    registry = ApiRegistry(connect(server, key))
    if check:
        items = plan_push(read_prompt_dir(directory), registry, workload)
        _show_push(items, fmt, checking=True)
        differ = [item for item in items if item.status != "unchanged"]
        if differ:
            raise PromptsDiffer(
                f"{len(differ)} prompt file(s) differ from the registry's newest versions: "
                f"{', '.join(item.prompt.path for item in differ[:10])}"
                f"{' ...' if len(differ) > 10 else ''}. Fix: push them (`rungway prompts push {directory}`), or "
                f"pull the registry's versions (`rungway prompts pull {directory}`)"
            )
        return
    _show_push(push(directory, registry, workload, message), fmt, checking=False)


def _show_push(items: list[PushItem], fmt: str, *, checking: bool) -> None:
    if fmt == "json":
        rows = [
            {
                "file": item.prompt.path,
                "name": item.prompt.name,
                "workload": item.workload,
                "shared": item.shared,
                "status": item.status,
                "registry_version": item.registry_version,
                "version": item.version,
                "created": item.created,
            }
            for item in items
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for item in items:
        at = f"{item.prompt.name} ({item.prompt.path})"
        if item.status == "unchanged":
            click.echo(f"unchanged  {at} is v{item.version}")
        elif checking:
            known = f"differs from v{item.registry_version}" if item.status == "changed" else "not in the registry"
            click.echo(f"{item.status:<10} {at} {known}")
        else:
            made = "created" if item.created else "exists"
            click.echo(f"{made:<10} {at} v{item.version}")
    created = sum(1 for item in items if item.created)
    if not checking:
        click.echo(f"{created} version(s) created, {len(items) - created} file(s) unchanged; no label moved")


@prompts_group.command("pull")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--workload", "-w", default=None, help="whose prompts (an admin key names one; other keys: their own)")
@click.option("--shared", is_flag=True, help="write the shared prompts instead of a workload's")
@click.option("--label", "-l", default=None, help="write the version this label points at (default: the newest)")
@server_options
@_format_option
def pull_command(
    directory: Path,
    workload: str | None,
    shared: bool,
    label: str | None,
    server: str | None,
    key: str | None,
    fmt: str,
) -> None:
    """Write each prompt's version into DIRECTORY: its own file when there is one, else <name>.yaml."""
    results = pull(directory, ApiRegistry(connect(server, key)), workload, label, shared=shared)
    _show_pull(results, fmt)


def _show_pull(results: list[PullResult], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps([_pull_row(r) for r in results], indent=2))
        return
    for result in results:
        if result.skipped:
            click.echo(f"skipped    {result.name}: {result.skipped}")
        else:
            click.echo(
                f"{'wrote' if result.written else 'unchanged':<10} {result.path} ({result.name} v{result.version})"
            )
    written = sum(1 for r in results if r.written)
    click.echo(f"{written} file(s) written, {len(results) - written} unchanged or skipped")


def _pull_row(result: PullResult) -> dict[str, object]:
    return {
        "name": result.name,
        "file": result.path,
        "version": result.version,
        "written": result.written,
        "skipped": result.skipped or None,
    }


@prompts_group.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "source", type=click.Choice(IMPORT_FORMATS), required=True, help="the tool that wrote FILES")
@click.option("--workload", "-w", default=None, help="the workload to import into (default: the key's own)")
@click.option("--shared", is_flag=True, help="import as shared prompts (admin keys only)")
@server_options
@_format_option
def import_command(
    files: tuple[Path, ...],
    source: str,
    workload: str | None,
    shared: bool,
    server: str | None,
    key: str | None,
    fmt: str,
) -> None:
    """Create versions from Langfuse prompt exports or promptfoo prompt files (see docs/prompts.md).

    Unprotected labels move to the imported versions; protected ones are listed for review, never moved.
    """
    if len(files) > MAX_IMPORT_FILES:
        raise click.UsageError(f"at most {MAX_IMPORT_FILES} files at a time")
    imported: list[ImportedPrompt] = []
    for path in files:  # every file is read and checked before anything is created
        imported.extend(import_file(source, path))
    results = import_prompts(imported, ApiRegistry(connect(server, key)), workload, shared=shared)
    _show_import(results, fmt)


def _show_import(results: list[ImportResult], fmt: str) -> None:
    if fmt == "json":
        rows = [
            {
                "source": r.source,
                "name": r.name,
                "version": r.version,
                "created": r.created,
                "labels_moved": list(r.labels_moved),
                "labels_for_review": list(r.labels_for_review),
                "notes": list(r.notes),
            }
            for r in results
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for r in results:
        click.echo(f"{'created' if r.created else 'exists':<10} {r.name} v{r.version}  <- {r.source}")
        for label in r.labels_moved:
            click.echo(f"           label {label} -> v{r.version}")
        for label in r.labels_for_review:
            click.echo(
                f"           label {label} is protected, not moved: once a person other than the author approves "
                f"(`rungway prompts approve {r.name} {r.version} -c ...`), move it with "
                f"`rungway prompts label {r.name} {label} {r.version} -r ...`"
            )
        for note in r.notes:
            click.echo(f"           note: {note}")
    created = sum(1 for r in results if r.created)
    waiting = sum(len(r.labels_for_review) for r in results)
    click.echo(f"{created} version(s) created, {len(results) - created} already there; {waiting} label(s) await review")
