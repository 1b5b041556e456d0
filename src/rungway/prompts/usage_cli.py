"""`rungway prompts usage NAME [--since 7d] [--workload W]`: a prompt's traffic per version, from the store.

Like `rungway cost report`, it reads the request log straight from the store (no server needed).
"""

from __future__ import annotations

import json
import sys

import click

from rungway.cli.options import config_option, format_option, open_store
from rungway.cli.render import Column, emit, fmt_ms, fmt_usd
from rungway.prompts.usage import usage_dict, visible_usage

__all__ = ["usage_command"]

_count = lambda v: f"{v:,}"  # noqa: E731 - a column formatter

COLUMNS = [
    Column("version", "Version", lambda v: "TOTAL" if v is None else str(v)),
    Column("calls", "Calls", _count, justify="right"),
    Column("errors", "Errors", _count, justify="right"),
    Column("error_rate", "Error rate", lambda v: f"{100 * v:.2f}%", justify="right"),
    Column("p50_ms", "p50", fmt_ms, justify="right"),
    Column("p95_ms", "p95", fmt_ms, justify="right"),
    Column("tokens_in", "Tokens in", _count, justify="right"),
    Column("tokens_out", "Tokens out", _count, justify="right"),
    Column("cost_usd", "Cost", fmt_usd, justify="right"),
]


@click.command("usage")
@click.argument("name")
@click.option("--since", default="7d", show_default=True, help="7d, 24h, an ISO date or epoch seconds")
@click.option("--until", default=None, help="An ISO date or epoch seconds (default: now)")
@click.option("--workload", "-w", default=None, help="Only this workload's calls (and the prompt as it sees it)")
@config_option
@format_option("table", "csv", "json")
def usage_command(
    name: str, since: str, until: str | None, workload: str | None, config_path: str | None, fmt: str
) -> None:
    """Calls, errors, latency, tokens and cost of each version of prompt NAME (newest version first)."""
    usage = visible_usage(open_store(config_path), name, workload=workload, since=since, until=until)
    data = usage_dict(usage)
    if fmt == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    scope = f" in {workload}" if workload else ""
    emit([*data["versions"], data["total"]], COLUMNS, fmt, title=f"Usage of prompt {name}{scope}")
