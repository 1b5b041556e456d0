"""`rungway prompts usage NAME [--since 7d] [--workload W]`: a prompt's traffic per version.

Like the rest of `rungway prompts`, it asks a running server (`GET /api/prompts/{name}/usage`), so
the key's scope applies: a workload's key sees its own calls of the prompt as its workload resolves
the name; an admin key sees every workload's calls, or one with `--workload`. The command joins
`prompts_group` here; `commands.py` gathers the group's modules for the capability.
"""

from __future__ import annotations

import json
import sys
from urllib.parse import quote

import click

from rungway.cli.options import format_option
from rungway.cli.render import Column, emit, fmt_ms, fmt_usd
from rungway.prompts.cli import connect, prompts_group, server_options

__all__ = ["prompts_group", "usage_command"]

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


@prompts_group.command("usage")
@click.argument("name")
@click.option("--since", default="7d", show_default=True, help="7d, 24h, an ISO date or epoch seconds")
@click.option("--until", default=None, help="An ISO date or epoch seconds (default: now)")
@click.option("--workload", "-w", default=None, help="An admin key: only this workload's calls (others: their own)")
@server_options
@format_option("table", "csv", "json")
def usage_command(
    name: str, since: str, until: str | None, workload: str | None, server: str | None, key: str | None, fmt: str
) -> None:
    """Calls, errors, latency, tokens and cost of each version of prompt NAME (newest version first)."""
    query = {"since": since, "until": until, "workload": workload}
    data = connect(server, key).get(f"/api/prompts/{quote(name, safe='')}/usage", query)
    if fmt == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    scope = f" in {data['workload']}" if data.get("workload") else " in every workload"
    emit([*data["versions"], data["total"]], COLUMNS, fmt, title=f"Usage of prompt {name}{scope}")
