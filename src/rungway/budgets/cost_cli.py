"""`rungway cost report --by workload|user|model|team|tag|provider|provider_account|key|prompt|prompt_version`."""

from __future__ import annotations

import json
import sys

import click

from rungway.budgets.cost import COST_BY, cost_report, report_dict
from rungway.cli.options import config_option, format_option, open_store
from rungway.cli.render import Column, console, emit, fmt_usd, grouped_by
from rungway.domain.pricing import usd
from rungway.store.reads import record_read

__all__ = ["cost_group"]

_count = lambda v: f"{v:,}"  # noqa: E731 - a column formatter

ROW_COLUMNS = [
    Column("key", "Key", lambda v: "(none)" if v is None else str(v)),
    Column("requests", "Requests", _count, justify="right"),
    Column("errors", "Errors", _count, justify="right"),
    Column("tokens_in", "Tokens in", _count, justify="right"),
    Column("tokens_out", "Tokens out", _count, justify="right"),
    Column("cost_usd", "Cost", fmt_usd, justify="right"),
    Column("cost_per_1k_requests_usd", "Per 1k req", fmt_usd, justify="right"),
    Column("cost_nano", "Cost (nano-USD)", _count, justify="right"),
]


@click.group("cost")
def cost_group() -> None:
    """Where the money goes, from the request log."""


@cost_group.command("report")
@click.option("--by", "by", type=click.Choice(list(COST_BY)), default="workload", show_default=True)
@click.option("--tag", default=None, help="With --by tag: the tag key to group by (e.g. env)")
@click.option("--since", default="30d", show_default=True, help="30d, 24h, an ISO date or epoch seconds")
@click.option("--until", default=None, help="An ISO date or epoch seconds (default: now)")
@click.option("--workload", "-w", default=None, help="Only this workload")
@config_option
@format_option("table", "csv", "json")
def report_command(
    by: str, tag: str | None, since: str, until: str | None, workload: str | None, config_path: str | None, fmt: str
) -> None:
    """Spend grouped one way, with a daily series, top spenders and the total (exact to the nano-dollar)."""
    engine = open_store(config_path)
    report = cost_report(engine, by, since, until, tag, workload)
    record_read(engine, "cost_report", workload)
    data = report_dict(report)
    if fmt == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    label = f"tag {tag}" if by == "tag" else by
    columns = grouped_by(ROW_COLUMNS, by, tag)
    emit([*data["rows"], {**data["total"], "key": "TOTAL"}], columns, fmt, title=f"Cost by {label}")
    if fmt == "csv":
        return
    emit(data["daily"], [Column("day", "Day (UTC)"), *ROW_COLUMNS[1:]], fmt, title="Daily")
    emit(data["top_users"], grouped_by(ROW_COLUMNS, "user"), fmt, title="Top spenders (users)")
    total = report.total
    console().print(
        f"Total ${usd(total.cost_nano):,.6f} over {total.requests:,} requests "
        f"({'reconciles' if report.reconciles() else 'DOES NOT reconcile'} with the request log)"
    )
