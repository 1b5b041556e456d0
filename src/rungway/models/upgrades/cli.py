"""`rungway models upgrade plan|apply|rollback|show`: planned model upgrades from a terminal.

`plan` runs each dataset bound to the workload's prompts (`rungway eval bind`) through the gateway
with the workload's key, once on the current model (`--from`) and once on the candidate (`--to`),
as `rungway eval run` does; the server then compares the stored runs per scorer with paired tests,
adds cost and latency per case, judges the workload's `upgrade_gate` and stores the report. `apply`
switches the pin only when the report passes; `rollback` restores the previous pin.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from rungway.cli.api_client import ApiClient
from rungway.errors import InvalidRequest, NotFound
from rungway.models.pins.cli import connect, rollback_pin, server_options

__all__ = ["upgrade_group"]


@click.group("upgrade")
def upgrade_group() -> None:
    """Plan a model upgrade with evals, apply it when it passes the gate, roll it back."""


def _bound(client: ApiClient, workload: str) -> list[tuple[str, str]]:
    data = client.get("/api/eval-bindings", {"workload": workload})
    pairs = {(str(b["dataset"]), str(b["prompt"])) for b in data.get("data") or ()}
    by_dataset: dict[str, str] = {}
    for dataset, prompt in sorted(pairs):
        by_dataset.setdefault(dataset, prompt)
    return sorted(by_dataset.items())


def _prompt_in_use(client: ApiClient, workload: str, prompt: str) -> str | None:
    """`NAME:production` when the bound prompt has a production version (cases render with it), else None."""
    try:
        client.get(f"/api/prompts/{quote(prompt, safe='')}", {"workload": workload, "label": "production"})
    except NotFound:
        return None  # the dataset's cases carry their own messages
    return f"{prompt}:production"


async def _run_both(
    client: ApiClient,
    workload: str,
    dataset: str,
    prompt: str | None,
    models: tuple[str, str],
    cache_dir: Path | None,
) -> tuple[str, str]:
    from rungway.evals.public import run_dataset  # imported when a plan runs: `rungway --help` stays fast

    ids: list[str] = []
    for model in models:
        outcome = await run_dataset(
            client.server, client.key, workload, dataset, model, prompt=prompt, cache_dir=cache_dir
        )
        summary = outcome.summary
        click.echo(
            f"  {dataset} on {model}: run {outcome.run_id}, {summary.get('passed', 0)}/"
            f"{summary.get('cases', outcome.tally.cases)} passed"
        )
        ids.append(outcome.run_id)
    return ids[0], ids[1]


@upgrade_group.command("plan")
@click.option("--workload", "-w", required=True, help="the workload whose pin would move")
@click.option("--from", "from_model", required=True, help="the model the workload uses now (a snapshot)")
@click.option("--to", "to_model", required=True, help="the candidate snapshot")
@click.option("--alias", default=None, help="the alias whose pin moves (default: the one pinned to --from)")
@click.option("--shadow-report", default=None, help="a shadow-traffic report id to attach")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="reuse answers from this response cache (default: call the models)",
)
@server_options
def plan_command(
    workload: str,
    from_model: str,
    to_model: str,
    alias: str | None,
    shadow_report: str | None,
    cache_dir: Path | None,
    server: str | None,
    key: str | None,
) -> None:
    """Run the workload's bound eval sets on --from and --to and write a migration report."""
    if from_model == to_model:
        raise InvalidRequest("--from and --to name the same model: nothing to compare", param="to")
    client = connect(server, key)
    bound = _bound(client, workload)
    if not bound:
        raise InvalidRequest(
            f"workload {workload!r} has no datasets bound to its prompts. Fix: bind one with "
            "`rungway eval bind --prompt NAME --dataset NAME`",
            param="workload",
        )
    runs: list[dict[str, str]] = []
    for dataset, prompt in bound:
        rendered = _prompt_in_use(client, workload, prompt)
        a, b = asyncio.run(_run_both(client, workload, dataset, rendered, (from_model, to_model), cache_dir))
        runs.append({"a": a, "b": b})
    body: dict[str, Any] = {"workload": workload, "from": from_model, "to": to_model, "runs": runs}
    if alias:
        body["alias"] = alias
    if shadow_report:
        body["shadow"] = _shadow_summary(client, shadow_report)
    report = client.post("/api/models/upgrades", body)
    click.echo(_markdown(client, report["id"]), nl=False)
    verdict = "passes" if report["passed"] else "fails"
    click.echo(
        f"report {report['id']} {verdict} the upgrade gate; apply it with "
        f"`rungway models upgrade apply --report {report['id']}`"
    )


def _shadow_summary(client: ApiClient, report_id: str) -> dict[str, Any]:
    """The shadow report's figures (its top-level numbers and short texts) with its id; the id alone when the
    server has no such report to show (the report then names it, unsummarised)."""
    summary: dict[str, Any] = {"report": report_id}
    try:
        found = client.get(f"/api/models/shadow/{quote(report_id, safe='')}")
    except NotFound:
        click.echo(f"shadow report {report_id} not found on the server: attached by id only", err=True)
        return summary
    if isinstance(found, dict):
        for key, value in list(found.items())[:40]:
            if len(summary) >= 20:
                break
            if isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) <= 500):
                summary[str(key)[:64]] = value
    return summary


def _markdown(client: ApiClient, report_id: str) -> str:
    return client.text(f"/api/models/upgrades/{quote(report_id, safe='')}", {"format": "markdown"})


@upgrade_group.command("apply")
@click.option("--report", "report_id", required=True, help="the migration report to apply")
@server_options
def apply_command(report_id: str, server: str | None, key: str | None) -> None:
    """Switch the pin as the report planned, if the report passes the workload's upgrade gate."""
    change = connect(server, key).post(f"/api/models/upgrades/{quote(report_id, safe='')}/apply", {})
    click.echo(
        f"{change['workload']}: {change['alias']} pinned to {change['to']} (was {change['from']}), report {report_id}"
    )


@upgrade_group.command("rollback")
@click.option("--workload", "-w", default=None, help="whose pin (an admin key names one)")
@click.option("--alias", required=True, help="the alias whose previous pin comes back")
@server_options
def rollback_command(workload: str | None, alias: str, server: str | None, key: str | None) -> None:
    """Restore the pin the alias had before its last change (an applied upgrade)."""
    rollback_pin(connect(server, key), alias, "upgrade rollback", workload)


@upgrade_group.command("show")
@click.argument("report_id")
@server_options
def show_command(report_id: str, server: str | None, key: str | None) -> None:
    """Print a migration report as Markdown."""
    click.echo(_markdown(connect(server, key), report_id), nl=False)
