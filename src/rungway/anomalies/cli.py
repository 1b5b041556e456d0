"""`rungway anomalies list|show|watch`: the workload's anomalies, one anomaly with its hours, the watch state.

It talks to a running server over HTTP (`--server`, default $RUNGWAY_URL or http://127.0.0.1:4000) with a key
(`--key`, default $RUNGWAY_API_KEY): a workload's key reads its own workload, the admin key any (`--workload`).
Exit codes: 0 done; 1 a mistake or an unreachable server (one line naming the fix).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import click
import orjson

from rungway.anomalies.model import metric_named
from rungway.cli.api_client import connect, server_options

__all__ = ["anomalies_group"]


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts)) if ts is not None else "-"


def _value(metric: str, value: float | None) -> str:
    if value is None:
        return "-"
    unit = metric_named(metric).unit if not metric.startswith("score:") else "score"
    if unit == "share":
        return f"{value:.2%}"
    if unit == "USD":
        return f"${value:,.2f}"
    return f"{value:,.1f}" + (" ms" if unit == "ms" else "")


def _line(a: dict[str, Any]) -> str:
    moved = f"{a['dimension']}={a['dimension_value']}" if a["dimension"] else "no single dimension"
    return (f"{a['id']}  {a['status']:<8} {_when(a['opened_at'])}  {a['workload']:<16} {a['metric']:<16} "
            f"{_value(a['metric'], a['value'])} (baseline {_value(a['metric'], a['expected'])}, z {a['z']:.1f})  "
            f"{moved}")  # fmt: skip


@click.group("anomalies")
def anomalies_group() -> None:
    """Anomalies: each workload's metrics against their own seasonal baselines."""


@anomalies_group.command("list")
@click.option("--workload", "-w", help="an admin names the workload")
@click.option("--status", type=click.Choice(["open", "resolved"]), help="only open or resolved ones")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print the anomalies as JSON")
@server_options
def list_command(workload: str | None, status: str | None, limit: int, as_json: bool, server: str | None,
                 key: str | None) -> None:  # fmt: skip
    """The anomalies, newest first."""
    found = connect(server, key).get("/api/anomalies", {"workload": workload, "status": status, "limit": limit})
    if as_json:
        click.echo(orjson.dumps(found["data"], option=orjson.OPT_INDENT_2).decode())
        return
    if not found["data"]:
        click.echo("no anomalies")
    for a in found["data"]:
        click.echo(_line(a))


@anomalies_group.command("show")
@click.argument("anomaly_id")
@click.option("--workload", "-w", help="an admin names the workload")
@click.option("--json", "as_json", is_flag=True, help="print the anomaly and its hours as JSON")
@server_options
def show_command(anomaly_id: str, workload: str | None, as_json: bool, server: str | None, key: str | None) -> None:
    """One anomaly: what moved, the dimension that moved most, example traces, the hours around it."""
    found = connect(server, key).get(f"/api/anomalies/{quote(anomaly_id, safe='')}", {"workload": workload})
    if as_json:
        click.echo(orjson.dumps(found, option=orjson.OPT_INDENT_2).decode())
        return
    a = found["anomaly"]
    click.echo(_line(a))
    click.echo(f"  opened {_when(a['opened_at'])} ({a['reason']}), last judged {_when(a['last_hour'])}, "
               f"resolved {_when(a['resolved_at'])}, peak z {a['peak_z']:.1f}")  # fmt: skip
    e = a["explanation"]
    if a["dimension"]:
        click.echo(f"  moved most: {a['dimension']} = {a['dimension_value']} ({e['window_share']:.0%} of the "
                   f"metric now, {e['baseline_share']:.0%} in the baseline)")  # fmt: skip
    for trace in a["traces"]:
        click.echo(f"  trace {trace}")
    for p in found["series"]:
        mark = " <" if a["opened_at"] <= p["hour"] <= a["last_hour"] else ""
        click.echo(f"  {_when(p['hour'])}  {_value(a['metric'], p['value']):>12}  baseline "
                   f"{_value(a['metric'], p['expected']):>12}  n={p['volume']}{mark}")  # fmt: skip


@anomalies_group.command("watch")
@click.option("--workload", "-w", help="an admin names the workload")
@server_options
def watch_command(workload: str | None, server: str | None, key: str | None) -> None:
    """Which workloads are watched, when they were last judged, and their open anomalies."""
    rows = connect(server, key).get("/api/anomalies/watch", {"workload": workload})["data"]
    if not rows:
        click.echo("no workload watched yet (the server judges closed hours every anomalies.tick_s)")
    for r in rows:
        state = "on" if r["enabled"] else "off"
        click.echo(f"{r['workload']:<16} {state:<4} last judged {_when(r['last_evaluated_at'])}  "
                   f"{len(r['metrics'])} metrics  {r['open_anomalies']} open")  # fmt: skip
