"""`rungway logs tail|query` (the request log) and `rungway usage` (roll-ups by workload, user, model, ...)."""

from __future__ import annotations

import sys
import time
from collections import deque
from typing import Any

import click

from rungway.cli.options import config_option, format_option, open_store
from rungway.cli.render import Column, emit, fmt_ms, fmt_time, fmt_usd, grouped_by
from rungway.services.logs import (
    USAGE_BY,
    build_filter,
    new_rows,
    parse_time,
    search_logs,
    total_of,
    usage_report,
)
from rungway.store.reads import record_read

__all__ = ["logs_group", "usage_command"]

LOG_COLUMNS = [
    Column("ts_start", "Time", fmt_time),
    Column("status", "Status", justify="right"),
    Column("workload", "Workload"),
    Column("user", "User"),
    Column("model_requested", "Model"),
    Column("prompt", "Prompt"),
    Column("provider", "Provider"),
    Column("tokens_in", "In", justify="right"),
    Column("tokens_out", "Out", justify="right"),
    Column("cost_usd", "Cost", fmt_usd, justify="right"),
    Column("latency_ms", "Latency", fmt_ms, justify="right"),
    Column("error_type", "Error"),
    Column("id", "ID"),
]
USAGE_COLUMNS = [
    Column("key", "Key", lambda v: "(none)" if v is None else str(v)),
    Column("requests", "Requests", lambda v: f"{v:,}", justify="right"),
    Column("errors", "Errors", lambda v: f"{v:,}", justify="right"),
    Column("tokens_in", "Tokens in", lambda v: f"{v:,}", justify="right"),
    Column("tokens_out", "Tokens out", lambda v: f"{v:,}", justify="right"),
    Column("cost_usd", "Cost", fmt_usd, justify="right"),
    Column("avg_latency_ms", "Avg latency", fmt_ms, justify="right"),
]


def _filter_options(f: Any) -> Any:
    for option in reversed(
        [
            click.option("--workload", "-w", default=None, help="Only this workload"),
            click.option("--user", "-u", default=None, help="Only this user"),
            click.option("--model", "-m", default=None, help="Only this model (requested or resolved)"),
            click.option("--status", type=click.IntRange(100, 599), default=None, help="Only this HTTP status"),
            click.option("--errors", is_flag=True, help="Only failed calls (status >= 400)"),
            click.option(
                "--prompt", "-p", default=None, help="Only calls that rendered this prompt: NAME or NAME@VERSION"
            ),
        ]
    ):
        f = option(f)
    return f


@click.group("logs")
def logs_group() -> None:
    """Read the request log."""


@logs_group.command("query")
@_filter_options
@click.option("--since", default=None, help="From: a duration ago (7d, 24h, 30m), an ISO date or epoch seconds")
@click.option("--until", default=None, help="Before: same forms as --since")
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=50, show_default=True)
@format_option("table", "json", "csv")
@config_option
def query_command(
    since: str | None, until: str | None, limit: int, fmt: str, config_path: str | None, **filters: Any
) -> None:
    """Show logged calls, newest first."""
    f = build_filter(now=time.time(), since=since, until=until, limit=limit, **filters)
    engine = open_store(config_path)
    page = search_logs(engine, f)
    record_read(engine, "logs", f.workload)
    engine.dispose()
    emit([row | {"prompt": _prompt(row)} for row in page.rows], LOG_COLUMNS, fmt, title="Requests")


def _prompt(row: dict[str, Any]) -> str | None:
    """`name@version` of the registry prompt the call rendered, None for a call without one."""
    name = row.get("prompt_name")
    return None if name is None else f"{name}@{row.get('prompt_version')}"


def _line(row: dict[str, Any]) -> str:
    error = f"  {row['error_type']}" if row.get("error_type") else ""
    prompt = _prompt(row)
    return (
        f"{fmt_time(row['ts_start'])}  {row['status']}  {row['workload'] or '-'}  {row['user'] or '-'}  "
        f"{row['model_requested'] or '-'}{f'  prompt {prompt}' if prompt else ''}  "
        f"{row['tokens_in']}+{row['tokens_out']} tok  "
        f"{fmt_usd(row['cost_usd'])}  {fmt_ms(row['latency_ms'])}{error}  {row['id']}"
    )


@logs_group.command("tail")
@_filter_options
@click.option("--lines", "-n", type=click.IntRange(0, 1000), default=10, show_default=True, help="Rows shown first")
@click.option("--interval", type=click.FloatRange(0.1), default=1.0, show_default=True, help="Seconds between polls")
@click.option("--no-follow", is_flag=True, help="Print the last rows and exit")
@config_option
def tail_command(lines: int, interval: float, no_follow: bool, config_path: str | None, **filters: Any) -> None:
    """Print the last calls, then follow new ones as they are logged (Ctrl-C stops)."""
    f = build_filter(now=time.time(), limit=max(lines, 1), **filters)
    engine = open_store(config_path)
    follower = _Follower()
    record_read(engine, "logs", f.workload)
    try:
        shown = new_rows(engine, f, set(), None)
        for row in shown[-lines:] if lines else []:
            click.echo(_line(row))
        follower.remember(shown)
        # Rows of the last few seconds that were not shown predate the tail: skip them too.
        follower.remember(new_rows(engine, f, follower.seen, follower.after))
        while not no_follow:
            sys.stdout.flush()
            time.sleep(interval)
            fresh = new_rows(engine, f, follower.seen, follower.after)
            for row in fresh:
                click.echo(_line(row))
            follower.remember(fresh)
    finally:
        engine.dispose()


class _Follower:
    """Which rows `logs tail` has printed (bounded) and the newest start time among them."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self._order: deque[str] = deque()
        self.after = time.time()

    def remember(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.seen.add(row["id"])
            self._order.append(row["id"])
            self.after = max(self.after, row["ts_start"])
        while len(self._order) > 10_000:
            self.seen.discard(self._order.popleft())


@click.command("usage")
@click.option("--by", type=click.Choice(list(USAGE_BY)), default="workload", show_default=True)
@click.option("--since", default="7d", show_default=True, help="A duration ago (7d, 24h, 30m), ISO date or epoch")
@click.option("--until", default=None, help="Before: same forms as --since")
@click.option("--workload", "-w", default=None, help="Only this workload")
@format_option("table", "json", "csv")
@config_option
def usage_command(
    by: str, since: str, until: str | None, workload: str | None, fmt: str, config_path: str | None
) -> None:
    """Requests, errors, tokens and cost grouped by workload, user, model, provider (account), team, key or status."""
    now = time.time()
    start, end = parse_time(since, now, "--since"), parse_time(until, now, "--until")
    engine = open_store(config_path)
    rows = usage_report(engine, by, start, end, workload)
    record_read(engine, "usage", workload)
    engine.dispose()
    data = [r.as_dict() for r in rows]
    if fmt == "table" and rows:
        data.append(total_of(rows).as_dict() | {"key": "TOTAL"})
    emit(data, grouped_by(USAGE_COLUMNS, by), fmt, title=f"Usage by {by} since {since}")
