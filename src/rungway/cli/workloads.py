"""`rungway workloads list|create|update`: the workloads calls are attributed, limited and assessed by."""

from __future__ import annotations

from typing import Any

import click

from rungway.cli.options import config_option, format_option, open_store
from rungway.cli.render import Column, console, emit
from rungway.domain.workloads import ContentCapture, RiskTier
from rungway.services.workloads import add_workload, describe_workload, update_workload
from rungway.store.workloads import list_workloads

__all__ = ["workloads_group"]

WORKLOAD_COLUMNS = [
    Column("name", "Name"),
    Column("team", "Team"),
    Column("tenant", "Tenant"),
    Column("risk_tier", "Risk tier"),
    Column("capture", "Capture"),
    Column("rpm_limit", "RPM", justify="right"),
    Column("tpm_limit", "TPM", justify="right"),
    Column("retention_days", "Retention (d)", justify="right"),
    Column("description", "Description"),
]


def _field_options(f: Any) -> Any:
    for option in reversed(
        [
            click.option("--description", default=None),
            click.option("--team", default=None, help="Team that owns the workload"),
            click.option("--tenant", default=None),
            click.option("--risk-tier", type=click.Choice([t.value for t in RiskTier]), default=None),
            click.option(
                "--capture",
                type=click.Choice([c.value for c in ContentCapture]),
                default=None,
                help="How much prompt/output content traces keep",
            ),
            click.option("--rpm", type=click.IntRange(min=1), default=None, help="Requests per minute"),
            click.option("--tpm", type=click.IntRange(min=1), default=None, help="Tokens per minute"),
            click.option("--retention-days", type=click.IntRange(min=1), default=None),
        ]
    ):
        f = option(f)
    return f


def _fields(**given: Any) -> dict[str, Any]:
    names = {"rpm": "rpm_limit", "tpm": "tpm_limit"}
    return {names.get(k, k): v for k, v in given.items() if v is not None}


@click.group("workloads")
def workloads_group() -> None:
    """List, create and change workloads."""


@workloads_group.command("list")
@format_option("table", "json", "csv")
@config_option
def list_command(fmt: str, config_path: str | None) -> None:
    """List workloads with their team, risk tier, capture and limits."""
    engine = open_store(config_path)
    rows = [describe_workload(w) for w in list_workloads(engine)]
    engine.dispose()
    emit(rows, WORKLOAD_COLUMNS, fmt, title="Workloads")


@workloads_group.command("create")
@click.argument("name")
@_field_options
@config_option
def create_command(name: str, config_path: str | None, **given: Any) -> None:
    """Create workload NAME (lowercase letters, digits, '.', '_', '-')."""
    engine = open_store(config_path)
    workload = add_workload(engine, name, _fields(**given))
    engine.dispose()
    console().print(f"Created workload [bold]{workload.name}[/bold] (risk tier {workload.risk_tier.value}).")


@workloads_group.command("update")
@click.argument("name")
@_field_options
@config_option
def update_command(name: str, config_path: str | None, **given: Any) -> None:
    """Change workload NAME's team, risk tier, capture or limits (only the options given)."""
    engine = open_store(config_path)
    workload = update_workload(engine, name, _fields(**given))
    engine.dispose()
    console().print(f"Updated workload [bold]{workload.name}[/bold].")
