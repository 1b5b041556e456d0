"""`rungway assess`: each workload's maturity stage from evidence, its history, attestations and claims.

rungway assess [--workload W] [--format table|markdown|json|html] [--no-save]
rungway assess history [--workload W]
rungway assess attest ITEM --workload W --by NAME --link URL [--expires 90d] [--not-applicable]
rungway assess import --workload W --item pre_deployment_tests --format promptfoo|junit FILE [--commit SHA] [--at TIME]
rungway assess claim --workload W --stage N
rungway assess threshold CHECK [--value 0.99] [--window-days 30]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from rungway.assessment.config import assessment_settings
from rungway.assessment.imported import MAX_IMPORT_BYTES
from rungway.assessment.model import IMPORT_FORMATS, MaturityModel
from rungway.assessment.model_file import load_model
from rungway.assessment.render import (
    MARK,
    diagnostic,
    evidence_text,
    for_workload,
    lowered_standards,
    next_investments,
    over_claim,
    result_of,
    source_of,
    stages_line,
    to_html,
    to_json,
    to_markdown,
    when,
    why,
)
from rungway.assessment.service import attest, claim_stage, history, import_run, run_assessment, set_org_threshold
from rungway.cli.options import command_config, config_option, open_store
from rungway.cli.render import console
from rungway.errors import InvalidRequest
from rungway.settings.config import Config

__all__ = ["assess_group"]


def _config(config_path: str | None) -> Config:
    """The config whose routes (pinning) and `assessment:` section apply; defaults when there is none."""
    return command_config(config_path)


def _print_table(run: dict[str, Any]) -> None:
    model = load_model()
    out = console()
    summary = Table(title=f"Maturity assessment, {when(run['assessed_at'])} (model {run['model_version']})")
    for name in ("Workload", "Stage", "Claimed", "Target", "Gap", "Drift", "Next investment"):
        summary.add_column(name)
    for w in run["workloads"]:
        drift = w.get("drift")
        claimed = str(w["claimed_stage"]) if w["claimed_stage"] is not None else "-"
        summary.add_row(
            w["workload"],
            f"{w['stage']} {model.stage_name(w['stage'])}",
            f"[red]{claimed} OVER-CLAIM[/red]" if over_claim(model, w) else claimed,
            str(w["target_stage"]),
            str(w["gap"]),
            f"{drift['previous_stage']}->{drift['current_stage']} {','.join(drift['regressed_items'])}"
            if drift
            else "",
            model.item(w["next_investment"]).title if w["next_investment"] else "-",
        )
    out.print(summary)
    for w in run["workloads"]:
        _print_workload(model, w)


def _print_workload(model: MaturityModel, w: dict[str, Any]) -> None:
    out = console()
    out.print(f"[bold]{w['workload']}[/bold] stages: {stages_line(model, w)}", markup=True, highlight=False)
    if claim := over_claim(model, w):
        out.print(f"[red bold]⚠ {claim}[/red bold]")
    table = Table(title=f"{w['workload']}: diagnostic (unmet items up to stage {min(w['stage'] + 1, 5)})")
    for name in ("Item", "Stage", "Verdict", "Source", "Why"):
        table.add_column(name)
    for r in diagnostic(model, w):
        item = model.item(r["item"])
        table.add_row(
            item.title, str(item.stage), f"{MARK[r['verdict']]} {r['verdict']}", source_of(r), why(r, w["workload"])
        )
    out.print(table)
    for r in lowered_standards(w):
        out.print(f"[yellow]⚠ {r['item']} is judged against a lowered threshold: {r['threshold_lowered']}[/yellow]")
    picks = next_investments(w)
    if not picks:
        return
    item, behind = model.item(picks[0]), result_of(w, picks[0])
    out.print(f"[bold]Next investment:[/bold] {item.title}. {item.guidance}", soft_wrap=True)
    facts = evidence_text(behind["evidence"])
    out.print(
        f"  Evidence behind it: {behind['verdict']} ({source_of(behind)}): {why(behind, w['workload'])}"
        + (f"; {facts}" if facts else ""),
        markup=False,
        soft_wrap=True,
    )
    out.print(f"  Build it: {for_workload(item.builds_with, w['workload'])}", markup=False, soft_wrap=True)
    out.print("  Next investments, in order:")
    for n, item_id in enumerate(picks, 1):
        nxt = model.item(item_id)
        out.print(
            f"    {n}. {nxt.title} (stage {nxt.stage}): {for_workload(nxt.builds_with, w['workload'])}",
            markup=False,
            soft_wrap=True,
        )
    out.print()


@click.group("assess", invoke_without_command=True)
@click.option("--workload", default=None, help="Assess only this workload")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "markdown", "json", "html"]), default="table", show_default=True
)
@click.option("--no-save", is_flag=True, help="Do not keep this assessment in the history")
@config_option
@click.pass_context
def assess_group(ctx: click.Context, workload: str | None, fmt: str, no_save: bool, config_path: str | None) -> None:
    """Place each workload on the LLMOps maturity stages from the evidence in the store."""
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path
    if ctx.invoked_subcommand is not None:
        return
    config = _config(config_path)
    engine = open_store(config_path)
    try:
        run = run_assessment(engine, config, workload=workload, persist=not no_save).to_dict()
    finally:
        engine.dispose()
    if fmt == "json":
        click.echo(to_json(run))
    elif fmt == "markdown":
        click.echo(to_markdown(load_model(), run))
    elif fmt == "html":
        click.echo(to_html(load_model(), run))
    else:
        _print_table(run)


def _config_path(ctx: click.Context, own: str | None) -> str | None:
    return own or (ctx.obj or {}).get("config_path")


@assess_group.command("history")
@click.option("--workload", default=None)
@click.option("--limit", type=int, default=200, show_default=True)
@config_option
@click.pass_context
def history_command(ctx: click.Context, workload: str | None, limit: int, config_path: str | None) -> None:
    """Stage per workload over time; drops (drift) are flagged."""
    engine = open_store(_config_path(ctx, config_path))
    rows = history(engine, workload, None, limit)
    engine.dispose()
    table = Table(title="Assessment history")
    for name in ("When", "Workload", "Stage", "Target", "Claimed", "Trigger", "Drift"):
        table.add_column(name)
    for r in rows:
        drift = r.report.get("drift")
        flag = ""
        if drift:
            flag = f"[red]DRIFT {drift['previous_stage']}->{drift['current_stage']}[/red] "
            flag += ", ".join(drift["regressed_items"])
        claimed = str(r.claimed_stage) if r.claimed_stage is not None else "-"
        table.add_row(when(r.assessed_at), r.workload, str(r.stage), str(r.target_stage), claimed, r.trigger, flag)
    console().print(table)


@assess_group.command("attest")
@click.argument("item")
@click.option("--workload", required=True)
@click.option("--by", "by", required=True, help="Who signs it off")
@click.option("--link", required=True, help="URL of the runbook or document")
@click.option(
    "--expires",
    default=None,
    help="How long it holds: 90d, 12w, 3mo, 1y (default: assessment.max_attestation)",
)
@click.option("--not-applicable", is_flag=True, help="Attest that a conditional item does not apply to the workload")
@click.option("--note", default="")
@config_option
@click.pass_context
def attest_command(
    ctx: click.Context,
    item: str,
    workload: str,
    by: str,
    link: str,
    expires: str | None,
    not_applicable: bool,
    note: str,
    config_path: str | None,
) -> None:
    """Attest ITEM (an on-call rotation, a governance process) for a workload until it expires.

    From the CLI the acting key is recorded as `cli` (whoever holds the store); over the API only a
    person's key (`rungway keys create --person`) may attest, and its id is recorded.
    """
    path = _config_path(ctx, config_path)
    max_s = assessment_settings(_config(path)).max_attestation_s
    engine = open_store(path)
    try:
        a = attest(
            engine, item=item, workload=workload, by=by, link=link, expires=expires, note=note,
            not_applicable=not_applicable, max_s=max_s,
        )  # fmt: skip
    finally:
        engine.dispose()
    what = "attested not applicable:" if a.not_applicable else "attested"
    click.echo(f"{what} {a.item_id} for {a.workload} by {a.attested_by} until {when(a.expires_at)} ({a.id})")


@assess_group.command("import")
@click.option("--workload", required=True)
@click.option("--item", required=True, help="The item the run evidences, such as pre_deployment_tests")
@click.option("--format", "fmt", type=click.Choice(list(IMPORT_FORMATS)), required=True)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--commit", default=None, help="The git SHA the run tested")
@click.option("--at", "at", default=None, help="When it ran (ISO 8601 or epoch seconds; default: the file's own time)")
@config_option
@click.pass_context
def import_command(
    ctx: click.Context,
    workload: str,
    item: str,
    fmt: str,
    file: Path,
    commit: str | None,
    at: str | None,
    config_path: str | None,
) -> None:
    """Import a test or red-team run (promptfoo's `-o out.json`, JUnit XML) as evidence for ITEM."""
    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_IMPORT_BYTES + 1)
    except OSError as exc:
        raise InvalidRequest(f"{file}: cannot read it ({exc.strerror}). Fix: pass the path of the report") from None
    engine = open_store(_config_path(ctx, config_path))
    try:
        run = import_run(
            engine, workload=workload, item=item, fmt=fmt, data=data, file_name=str(file), commit=commit,
            at=at, by="cli",
        )  # fmt: skip
    finally:
        engine.dispose()
    click.echo(
        f"imported {run.tool} run for {run.workload} / {run.item_id}: {run.passed}/{run.cases} passed "
        f"({100 * run.pass_rate:.1f}%) at {when(run.run_at)}" + (f", commit {run.commit}" if run.commit else "")
    )


@assess_group.command("claim")
@click.option("--workload", required=True)
@click.option("--stage", type=int, required=True)
@click.option("--by", "by", default=None)
@config_option
@click.pass_context
def claim_command(ctx: click.Context, workload: str, stage: int, by: str | None, config_path: str | None) -> None:
    """Record the stage the team claims, shown next to the evidenced one."""
    engine = open_store(_config_path(ctx, config_path))
    claim_stage(engine, workload=workload, stage=stage, by=by)
    engine.dispose()
    click.echo(f"{workload}: claimed stage {stage}")


@assess_group.command("threshold")
@click.argument("check")
@click.option("--value", type=float, default=None, help="Fraction of calls, e.g. 0.99")
@click.option("--window-days", type=int, default=None)
@config_option
@click.pass_context
def threshold_command(
    ctx: click.Context, check: str, value: float | None, window_days: int | None, config_path: str | None
) -> None:
    """Set the organisation's own standard for CHECK (stored; overrides config and model defaults)."""
    engine = open_store(_config_path(ctx, config_path))
    t = set_org_threshold(engine, check_id=check, threshold=value, window_days=window_days)
    engine.dispose()
    click.echo(f"{t.check_id}: threshold {t.threshold}, window {t.window_days} days")
