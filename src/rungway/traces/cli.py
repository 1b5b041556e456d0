"""`rungway traces list|show|purge`: find traces, read one as a span tree, apply retention.

Works on the store directly, like the other store-backed commands (no server needed).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

import click
from rich.text import Text
from rich.tree import Tree

from rungway.capability import registered_sections
from rungway.cli.options import AgeOption, config_option, format_option, open_store
from rungway.cli.render import Column, console, emit, fmt_ms, fmt_time, fmt_usd
from rungway.domain.timespec import DAY
from rungway.errors import NotFound
from rungway.settings.config import load_config
from rungway.settings.env import read_environment
from rungway.store.reads import record_read
from rungway.traces.api import trace_filter
from rungway.traces.config import TRACING_SECTION
from rungway.traces.store import get_trace, list_traces, purge_expired, purge_traces
from rungway.traces.views import trace_tree

__all__ = ["traces_group"]

TRACE_COLUMNS = [
    Column("start_time", "Start", fmt_time),
    Column("trace_id", "Trace"),
    Column("name", "Name"),
    Column("workload", "Workload"),
    Column("user_id", "User"),
    Column("session_id", "Session"),
    Column("status", "Status"),
    Column("span_count", "Spans", justify="right"),
    Column("model", "Model"),
    Column("tokens_in", "In", justify="right"),
    Column("tokens_out", "Out", justify="right"),
    Column("cost_usd", "Cost", fmt_usd, justify="right"),
    Column("latency_ms", "Latency", fmt_ms, justify="right"),
]
_PREVIEW = 400


@click.group("traces")
def traces_group() -> None:
    """Traces: spans from the gateway and from applications (OTLP)."""


@traces_group.command("list")
@config_option
@click.option("--workload", "-w", default=None, help="Only this workload")
@click.option("--user", "-u", default=None, help="Only this user")
@click.option("--session", "-s", default=None, help="Only this session id")
@click.option("--status", type=click.Choice(["ok", "error"]), default=None, help="Only ok or failed traces")
@click.option("--model", "-m", default=None, help="Only traces with a span on this model")
@click.option("--min-cost", type=float, default=None, help="Only traces costing at least this many USD")
@click.option("--min-latency", "min_latency_ms", type=float, default=None, help="Only traces lasting >= this many ms")
@click.option("--since", default=None, help="7d, 24h, 30m, an ISO date or epoch seconds")
@click.option("--search", "-q", "text", default=None, help="Text in prompts, outputs or attributes")
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=50, show_default=True)
@format_option("table", "json", "csv")
def list_command(config_path: str | None, fmt: str, text: str | None, **options: Any) -> None:
    """List traces, newest first."""
    query = {k: (str(v) if v is not None else None) for k, v in options.items()}
    query["q"] = text
    engine = open_store(config_path)
    f = trace_filter(query)
    rows = list_traces(engine, f)
    record_read(engine, "traces", f.workload)
    for row in rows:
        row["cost_usd"] = row["cost_nano"] / 1e9
    emit(rows, TRACE_COLUMNS, fmt, title="Traces")


def _dash(value: Any) -> str:
    """An absent value shows as a dash, never as `None`."""
    return "-" if value is None or value == "" else str(value)


def _preview(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _PREVIEW else text[:_PREVIEW] + f"... ({len(text):,} chars)"


def _span_label(span: dict[str, Any], t0: float) -> Text:
    label = Text()
    if span.get("hidden"):
        label.append(f"{span['name']}", style="dim")
        label.append(f"  +{(span['start_time'] - t0) * 1000:,.0f} ms  {span['latency_ms']:,.1f} ms", style="dim")
        return label
    label.append(f"{span['kind']:<9} ", style="cyan")
    label.append(span["name"], style="bold")
    label.append(f"  +{(span['start_time'] - t0) * 1000:,.0f} ms  {span['latency_ms']:,.1f} ms", style="dim")
    if span.get("model"):
        label.append(f"  {span['model']}", style="magenta")
    if span["tokens_in"] or span["tokens_out"]:
        label.append(f"  {span['tokens_in']:,} in / {span['tokens_out']:,} out")
    if span["cost_nano"]:
        label.append(f"  {fmt_usd(span['cost_usd'])}", style="green")
    if span["status"] == "error":
        label.append(f"  ERROR {span.get('status_message') or ''}", style="red")
    return label


def _add(tree: Tree, span: dict[str, Any], t0: float, full: bool) -> None:
    branch = tree.add(_span_label(span, t0))
    for part in ("system", "input", "documents", "tool", "output"):
        if part in span:
            value = span[part]
            shown = json.dumps(value, ensure_ascii=False, indent=2, default=str) if full else _preview(value)
            branch.add(Text(f"{part}: ", style="yellow") + Text(shown))
    for child in span["children"]:
        _add(branch, child, t0, full)


@traces_group.command("show")
@config_option
@click.argument("trace_id")
@click.option("--full", is_flag=True, help="Show prompts and outputs whole, not truncated")
@click.option(
    "--workload", "-w", default=None, help="Show it as this workload's keys see it (other workloads' spans hidden)"
)
@format_option("tree", "json")
def show_command(config_path: str | None, trace_id: str, full: bool, workload: str | None, fmt: str) -> None:
    """Show TRACE_ID as a tree of spans with timings, tokens, cost, prompts and outputs."""
    engine = open_store(config_path)
    found = get_trace(engine, trace_id.lower(), workload)
    if found is None:
        raise NotFound(f"no trace {trace_id}. Fix: copy an id from `rungway traces list`")
    tree_data = trace_tree(*found)
    record_read(engine, "traces", workload or tree_data.get("workload"))
    if fmt == "json":
        sys.stdout.write(json.dumps(tree_data, indent=2, default=str) + "\n")
        return
    title = Text()
    title.append(f"trace {tree_data['trace_id']}", style="bold")
    title.append(
        f"  {tree_data['name']}  workload={_dash(tree_data['workload'])} user={_dash(tree_data['user_id'])} "
        f"session={_dash(tree_data['session_id'])}  {tree_data['span_count']} spans  "
        f"{tree_data['latency_ms']:,.1f} ms  "
        f"{tree_data['tokens_in']:,} in / {tree_data['tokens_out']:,} out  {fmt_usd(tree_data['cost_usd'])}  "
        f"{tree_data['status']}  {fmt_time(tree_data['start_time'])}"
    )
    tree = Tree(title)
    for span in tree_data["spans"]:
        _add(tree, span, tree_data["start_time"], full)
    console().print(tree)


@traces_group.command("purge")
@config_option
@click.option("--workload", "-w", default=None, help="Only this workload")
@click.option(
    "--older-than",
    "older_than_s",
    type=AgeOption(),
    default=None,
    help="30d, 12h, 2w (a bare number is days); overrides retention",
)
def purge_command(config_path: str | None, workload: str | None, older_than_s: float | None) -> None:
    """Delete expired traces: each workload's retention_days (else tracing.retention_days), or --older-than."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    engine = open_store(config_path)
    if older_than_s is not None:
        traces, spans = purge_traces(engine, workload, time.time() - older_than_s)
        logging.getLogger("rungway.traces.cli").info(
            "purge: workload %s, older than %s days: %d traces, %d spans deleted",
            workload,
            older_than_s / DAY,
            traces,
            spans,
        )
        click.echo(f"purged {traces} traces ({spans} spans) older than {older_than_s / DAY:g} days")
        return
    results = [r for r in purge_expired(engine, _default_retention(config_path)) if workload in (None, r.workload)]
    if not results:
        click.echo("no workload has a retention period (set workloads.<name>.retention_days or tracing.retention_days)")
    for r in results:
        click.echo(f"{r.workload}: retention {r.retention_days} days: purged {r.traces} traces ({r.spans} spans)")


def _default_retention(config_path: str | None) -> int | None:
    env = read_environment()
    path = config_path or env.config_path
    if path is None:
        return None
    return load_config(path, env, registered_sections()).section(TRACING_SECTION).retention_days
