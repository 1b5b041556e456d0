"""`rungway slo`: list SLOs with their SLI, budget and burn rates; one SLO's status and history; create, delete,
import and export (OpenSLO v1 YAML).

It talks to a running server over HTTP (`--server`, default $RUNGWAY_URL or http://127.0.0.1:4000) with a key
of the workload (`--key`, default $RUNGWAY_API_KEY). Exit codes: 0 done; 1 a mistake or an unreachable server
(one line naming the fix, a file's mistakes with the file and line).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click
import yaml

from rungway.cli.api_client import connect, server_options
from rungway.errors import ConfigError, InvalidRequest
from rungway.slos.model import KINDS, MEASURES

__all__ = ["slo_group"]

_DOCUMENT = re.compile(r"^documents\[(\d+)\]\.?")


def _pct(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f}%"


def _line(m: dict[str, Any]) -> str:
    st = m["status"]
    burns = " ".join(f"{w}={st['burn_rates'].get(w, 0):.2f}x" for w in ("1h", "6h", "1d", "3d"))
    state = ",".join(st["firing"]) or "quiet"
    measured = "" if m["measured"] else " (unmeasured)"
    head = f"{m['workload']:<16} {m['name']:<24} {m['kind']:<12} objective {_pct(m['objective'])}"
    return f"{head} SLI {_pct(st['sli'])} budget {_pct(st['error_budget_remaining'], 1)} {burns} {state}{measured}"


@click.group("slo")
def slo_group() -> None:
    """SLOs: availability, latency and quality objectives with error budgets and burn-rate alerts."""


@slo_group.command("list")
@click.option("--workload", "-w", help="an admin names the workload (default: every one)")
@server_options
def list_command(workload: str | None, server: str | None, key: str | None) -> None:
    """Every SLO with its SLI, error budget left and burn rates."""
    found = connect(server, key).get("/api/slos", {"workload": workload})["data"]
    if not found:
        click.echo("no SLOs")
    for m in found:
        click.echo(_line(m))


@slo_group.command("status")
@click.argument("name")
@click.option("--workload", "-w", help="an admin names the workload")
@server_options
def status_command(name: str, workload: str | None, server: str | None, key: str | None) -> None:
    """One SLO: its SLI over the window, error budget, every burn window and the alert tiers firing."""
    m = connect(server, key).get(f"/api/slos/{quote(name, safe='')}", {"workload": workload})
    st = m["status"]
    click.echo(_line(m))
    click.echo(f"  window {m['window_days']}d: {st['good']} good of {st['total']} events")
    click.echo("  burn rates: " + " ".join(f"{w}={r:.2f}x" for w, r in st["burn_rates"].items()))
    click.echo(f"  firing: {', '.join(st['firing']) or 'none'}")


@slo_group.command("history")
@click.argument("name")
@click.option("--workload", "-w", help="an admin names the workload")
@click.option("--days", type=click.IntRange(1, 400), default=7, show_default=True)
@click.option("--limit", type=click.IntRange(1, 2000), default=50, show_default=True)
@server_options
def history_command(name: str, workload: str | None, days: int, limit: int, server: str | None,
                    key: str | None) -> None:  # fmt: skip
    """The SLO's stored snapshots, oldest first."""
    found = connect(server, key).get(f"/api/slos/{quote(name, safe='')}/history",
                                     {"workload": workload, "days": days, "limit": limit})  # fmt: skip
    if not found["data"]:
        click.echo("no snapshots yet (the server stores one every slos.snapshot_every)")
    for s in found["data"]:
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(s["at"]))
        click.echo(f"{when}  SLI {_pct(s['sli'])}  budget {_pct(s['error_budget_remaining'], 1)}  "
                   f"events {s['total']}  {','.join(s['firing']) or '-'}")  # fmt: skip


@slo_group.command("create")
@click.argument("name")
@click.option("--workload", "-w", help="an admin names the workload")
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--objective", type=float, required=True, help="a share (0.995) or a percentage (99.5)")
@click.option("--window", type=click.Choice(["7d", "28d", "30d"]), default="30d", show_default=True)
@click.option("--model", help="only calls that asked for this model")
@click.option("--route", help="only calls routed by this rule")
@click.option("--threshold-ms", type=float, help="latency: good at or under this")
@click.option("--measure", type=click.Choice(MEASURES), help="latency: total duration or time to first token")
@click.option("--score", help="quality: only online scores of this name")
@click.option("--pass-threshold", type=float, help="quality: a numeric score passes at or above this")
@click.option("--description", help="what the objective protects")
@server_options
def create_command(name: str, workload: str | None, kind: str, objective: float, window: str, model: str | None,
                   route: str | None, threshold_ms: float | None, measure: str | None, score: str | None,
                   pass_threshold: float | None, description: str | None, server: str | None,
                   key: str | None) -> None:  # fmt: skip
    """Create (or replace) an SLO of the workload."""
    body = {"workload": workload, "name": name, "kind": kind, "objective": objective, "window": window,
            "model": model, "route": route, "threshold_ms": threshold_ms, "measure": measure, "score": score,
            "pass_threshold": pass_threshold, "description": description}  # fmt: skip
    made = connect(server, key).post("/api/slos", {k: v for k, v in body.items() if v is not None})
    click.echo(f"SLO {made['name']} of {made['workload']}: {made['kind']} {_pct(made['objective'])} over "
               f"{made['window_days']}d")  # fmt: skip


@slo_group.command("delete")
@click.argument("name")
@click.option("--workload", "-w", help="an admin names the workload")
@server_options
def delete_command(name: str, workload: str | None, server: str | None, key: str | None) -> None:
    """Delete an SLO made through the API (one in rungway.yaml is removed there)."""
    connect(server, key).delete(f"/api/slos/{quote(name, safe='')}", {"workload": workload})
    click.echo(f"SLO {name} deleted")


@slo_group.command("export")
@click.option("--workload", "-w", help="an admin names the workload (default: every one)")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="write here (default: stdout)")
@server_options
def export_command(workload: str | None, output: Path | None, server: str | None, key: str | None) -> None:
    """The SLOs as OpenSLO v1 YAML documents."""
    documents = connect(server, key).get("/api/slos/openslo", {"workload": workload})["documents"]
    text = yaml.safe_dump_all(documents, sort_keys=False)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text)
        click.echo(f"{len(documents)} SLO(s) written to {output}")


def _read_documents(path: Path) -> tuple[list[Any], list[int]]:
    """The file's YAML documents and the line each starts on."""
    try:
        text = path.read_text()
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        documents = list(yaml.safe_load_all(text))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror}). Fix: give an OpenSLO YAML file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: not valid YAML ({problem}). Fix: correct the YAML there") from None
    lines = [node.start_mark.line + 1 if node is not None else 1 for node in nodes]
    kept = [(d, line) for d, line in zip(documents, lines, strict=False) if d is not None]
    if not kept:
        raise ConfigError(f"{path}: no document in it. Fix: write an OpenSLO v1 `kind: SLO` document")
    return [d for d, _ in kept], [line for _, line in kept]


@slo_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--workload", "-w", help="import into this workload (default: the key's own; an admin's: spec.service)")
@server_options
def import_command(path: Path, workload: str | None, server: str | None, key: str | None) -> None:
    """Create (or replace) SLOs from OpenSLO v1 YAML documents (`kind: SLO`, as `export` writes)."""
    documents, lines = _read_documents(path)
    try:
        made = connect(server, key).post("/api/slos/openslo", {"workload": workload, "documents": documents})
    except InvalidRequest as exc:
        found = _DOCUMENT.match(exc.param or "")
        if found is None:
            raise ConfigError(f"{path}: {exc.message}. Fix: correct the file") from None
        index = int(found.group(1))
        field = exc.param[found.end() :] if exc.param else ""
        message = _DOCUMENT.sub("", exc.message)
        raise ConfigError(f"{path}:{lines[index]}: document {index + 1}, {field or 'document'}: {message}") from None
    for m in made["data"]:
        click.echo(f"SLO {m['name']} of {m['workload']} imported ({m['kind']} {_pct(m['objective'])})")
