"""`rungway drill outage --deployment D --duration 60s [--error-rate 1.0 | --latency 30s | --hang]`.

Starts the drill on the server (`POST /api/drills`, an admin key), waits while it runs, then prints
what the workloads saw: calls, success rate, calls that failed over, calls lost, and the added latency
(p50/p99) of failed-over calls. A drill faults only simulator deployments unless the server's
`failover.drills.fault_switches` is true.
"""

from __future__ import annotations

import json
import re
import sys
import time
from typing import Any
from urllib.parse import quote

import click

from rungway.cli.api_client import connect, server_options
from rungway.cli.render import Column, console, emit, fmt_ms
from rungway.errors import InvalidRequest
from rungway.models.incidents.cli import rate

__all__ = ["drill_group", "parse_seconds"]

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_seconds(text: str, option: str) -> float:
    """`60s`, `1.5m`, `250ms` or a number of seconds; a one-line error naming the option otherwise."""
    match = _SPAN.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise InvalidRequest(f"{option} {text!r} is not a duration. Fix: write e.g. 60s, 2m or 500ms")
    return float(match.group(1)) * _UNIT[match.group(2)]


@click.group("drill")
def drill_group() -> None:
    """Outage drills: make a deployment fail for a while and see what the workloads saw."""


@drill_group.command("outage")
@click.option("--deployment", "-d", required=True, help="the deployment to fault (a simulator deployment)")
@click.option("--duration", default="60s", show_default=True, help="how long: 60s, 2m, 500ms")
@click.option("--error-rate", type=click.FloatRange(0, 1), default=None, help="fail this fraction (default 1.0)")
@click.option("--latency", default=None, help="add this latency to each request instead: 30s, 500ms")
@click.option("--hang", is_flag=True, help="answer nothing until each try's deadline")
@click.option("--no-wait", is_flag=True, help="start it and print its id, without waiting for the report")
@server_options
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def outage_command(
    deployment: str, duration: str, error_rate: float | None, latency: str | None, hang: bool, no_wait: bool,
    server: str | None, key: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Fault DEPLOYMENT for DURATION and report calls, success rate, failed over, lost and added latency."""
    body: dict[str, Any] = {"deployment": deployment, "duration_s": parse_seconds(duration, "--duration")}
    if latency is not None:
        body["latency_s"] = parse_seconds(latency, "--latency")
    if hang:
        body["hang"] = True
    if error_rate is not None:
        body["error_rate"] = error_rate
    client = connect(server, key)
    drill = client.post("/api/drills", body)
    out = console()
    if no_wait:
        out.print(drill["id"])
        return
    out.print(f"drill {drill['id']}: faulting {deployment} ({drill['fault']}) for {body['duration_s']:g}s ...")
    time.sleep(max(0.0, drill["ends_at"] - time.time()))
    while drill["status"] == "running":
        time.sleep(0.5)
        drill = client.get("/api/drills/" + quote(drill["id"], safe=""))
    if as_json:
        sys.stdout.write(json.dumps(drill, indent=2) + "\n")
        return
    out.print(
        f"calls {drill['calls']}, success {rate(drill['success_rate']) or '-'}, failed over {drill['failed_over']}, "
        f"lost {drill['lost']}; added latency p50 {fmt_ms(drill['added_p50_ms']) or '-'}, "
        f"p99 {fmt_ms(drill['added_p99_ms']) or '-'}"
    )
    since = f"{drill['started_at'] - 1:.3f}"
    incidents = [
        i for i in client.get("/api/incidents", {"since": since})["incidents"] if i["deployment"] == deployment
    ]
    for incident in incidents:
        closed = (
            "still open"
            if incident["closed_at"] is None
            else f"closed after {incident['closed_at'] - incident['opened_at']:.1f}s"
        )
        out.print(
            f"incident {incident['id']}: circuit opened ({closed}), "
            f"failed over {incident['failed_over']}, lost {incident['lost']}"
        )
    rows = [{"workload": name, **counts} for name, counts in drill["workloads"].items()]
    emit(
        rows,
        [Column("workload", "Workload"), Column("calls", "Calls", justify="right"),
         Column("served", "Served", justify="right"), Column("failed_over", "Failed over", justify="right"),
         Column("lost", "Lost", justify="right")],
        "table",
        title="What the workloads saw",
    )  # fmt: skip
