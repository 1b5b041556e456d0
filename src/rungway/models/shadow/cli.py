"""`rungway models shadow start|stop|list|show`: shadow runs over HTTP to a running server.

Like `rungway eval`, these talk to the server (`--server`, default $RUNGWAY_URL; `--key`, default
$RUNGWAY_API_KEY, else $RUNGWAY_ADMIN_KEY), so a run started here reaches the gateway at once and is
recorded under the caller's key, with the API's roles and workload scope.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

from rungway.cli.render import Column, emit, fmt_time
from rungway.errors import AuthenticationFailed, ConfigError, InvalidRequest, NotFound, PermissionDenied, RungwayError
from rungway.settings.env import read_environment

__all__ = ["shadow_group"]

DEFAULT_URL = "http://127.0.0.1:4000"
F = TypeVar("F", bound=Callable[..., Any])
_ERRORS: dict[int, type[RungwayError]] = {400: InvalidRequest, 401: AuthenticationFailed, 403: PermissionDenied,
                                          404: NotFound}  # fmt: skip
RUN_COLUMNS = [
    Column("id", "Run"),
    Column("workload", "Workload"),
    Column("from_model", "From (A)"),
    Column("to_model", "To (B)"),
    Column("sample", "Sample"),
    Column("active", "Active"),
    Column("started_at", "Started", fmt_time),
    Column("ends_at", "Ends", fmt_time),
    Column("dropped", "Dropped", justify="right"),
]


def _send(url: str | None, key: str | None, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
    env = read_environment()
    secret = key or env.api_key or env.admin_key
    if not secret:
        raise click.UsageError("no API key: pass --key or set RUNGWAY_API_KEY")
    base = (url or env.server_url or DEFAULT_URL).rstrip("/")
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        with error:
            raw = error.read()
        try:
            detail = json.loads(raw).get("error") or {}
        except (ValueError, AttributeError):
            detail = {}
        message = str(detail.get("message") or f"the server answered HTTP {error.code}")
        raise _ERRORS.get(error.code, RungwayError)(message) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ConfigError(
            f"cannot reach the Rungway server at {base}: {reason}. "
            "Fix: start it (`rungway serve`) or point --server (or RUNGWAY_URL) at it"
        ) from None


def _server_options(f: F) -> F:
    f = click.option("--key", help="An API key with the admin role (default $RUNGWAY_API_KEY)")(f)
    server_help = f"The server (default $RUNGWAY_URL, else {DEFAULT_URL})"
    return click.option("--server", "url", metavar="URL", help=server_help)(f)


@click.group("shadow")
def shadow_group() -> None:
    """Shadow a sample of a workload's live calls to a candidate model (its answers are never returned)."""


@shadow_group.command("start")
@click.option("--workload", "-w", default=None, help="The workload (default: the key's own)")
@click.option("--from", "from_model", required=True, help="Model A: the model the workload's calls go to")
@click.option("--to", "to_model", required=True, help="Model B: the candidate the sampled calls are copied to")
@click.option("--sample", type=click.FloatRange(0, 1, min_open=True), required=True,
              help="Fraction of A's calls, e.g. 0.05")  # fmt: skip
@click.option("--duration", default="24h", show_default=True, help="How long the run lasts (30m, 2h, 7d)")
@click.option("--max-in-flight", type=click.IntRange(1, 1000), default=4, show_default=True,
              help="Shadow calls in flight at most; past it sampled calls are dropped and counted")  # fmt: skip
@_server_options
def start_command(workload: str | None, from_model: str, to_model: str, sample: float, duration: str,
                  max_in_flight: int, url: str | None, key: str | None) -> None:  # fmt: skip
    """Start shadowing (a workload's earlier run stops)."""
    body = {"action": "start", "workload": workload, "from": from_model, "to": to_model, "sample": sample,
            "duration": duration, "max_in_flight": max_in_flight}  # fmt: skip
    run = _send(url, key, "POST", "/api/models/shadow", body)
    click.echo(f"started {run['id']}: {run['workload']} {run['from_model']} -> {run['to_model']} "
               f"sampling {run['sample']:g} until {fmt_time(run['ends_at'])}")  # fmt: skip


@shadow_group.command("stop")
@click.option("--workload", "-w", default=None, help="The workload (default: the key's own)")
@click.option("--run", "run_id", default=None, help="Stop this run only")
@_server_options
def stop_command(workload: str | None, run_id: str | None, url: str | None, key: str | None) -> None:
    """Stop shadowing a workload's calls."""
    body: dict[str, Any] = {"action": "stop", "workload": workload}
    if run_id:
        body["run_id"] = run_id
    stopped = _send(url, key, "POST", "/api/models/shadow", body)["stopped"]
    click.echo(f"stopped {', '.join(stopped)}" if stopped else "no active shadow run to stop")


@shadow_group.command("list")
@click.option("--workload", "-w", default=None, help="Only this workload's runs")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@_server_options
def list_command(workload: str | None, fmt: str, url: str | None, key: str | None) -> None:
    """Shadow runs, newest first."""
    query = f"?{urllib.parse.urlencode({'workload': workload})}" if workload else ""
    runs = _send(url, key, "GET", "/api/models/shadow" + query)["data"]
    emit(runs, RUN_COLUMNS, fmt, title="Shadow runs")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:+.1f}%"


def _describe(s: dict[str, Any]) -> list[str]:
    run, lat, cost = s["run"], s["latency_ms"], s["cost_usd"]
    lines = [
        f"{run['id']}: {run['workload']} {run['from_model']} (A) -> {run['to_model']} (B), sample {run['sample']:g}",
        f"pairs {s['pairs']} (analysed {s['analysed']}), dropped {s['dropped']}, B errors {s['b_errors']}",
    ]
    if lat["pairs"]:
        lines.append(f"latency p50 {lat['a_p50']:.0f} -> {lat['b_p50']:.0f} ms ({_pct(lat['change_p50'])}), "
                     f"p95 {lat['a_p95']:.0f} -> {lat['b_p95']:.0f} ms ({_pct(lat['change_p95'])}), "
                     f"sign test p={lat['p_value'] if lat['p_value'] is not None else 1:.3g}"
                     f"{' (significant)' if lat['significant'] else ''}")  # fmt: skip
    if cost["pairs"]:
        lines.append(f"cost per call ${cost['a_mean']:.6f} -> ${cost['b_mean']:.6f} ({_pct(cost['change_mean'])})"
                     f"{' (significant)' if cost['significant'] else ''}")  # fmt: skip
    tokens = s["output_tokens"]
    if tokens["pairs"]:
        lines.append(f"output tokens per call {tokens['a_mean']:.1f} -> {tokens['b_mean']:.1f} "
                     f"({_pct(tokens['change_mean'])}){' (significant)' if tokens['significant'] else ''}")  # fmt: skip
    if s["exact_match_rate"] is not None:
        lines.append(f"agreement: exact {100 * s['exact_match_rate']:.1f}%, token F1 mean {s['token_f1']['mean']:.3f}, "
                     f"ROUGE-L mean {s['rouge_l']['mean']:.3f}")  # fmt: skip
    if s["json_valid_rate"] is not None:
        lines.append(f"JSON kept valid: {100 * s['json_valid_rate']:.1f}% of {s['json_pairs']}")
    if s["tool_names_equal_rate"] is not None:
        lines.append(f"same tools called: {100 * s['tool_names_equal_rate']:.1f}% of {s['tool_pairs']}")
    return lines


@shadow_group.command("show")
@click.argument("run_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_server_options
def show_command(run_id: str, fmt: str, url: str | None, key: str | None) -> None:
    """A shadow run's summary: B's errors, latency and cost change with significance, agreement with A."""
    summary = _send(url, key, "GET", f"/api/models/shadow/{urllib.parse.quote(run_id, safe='')}")
    if fmt == "json":
        click.echo(json.dumps(summary, indent=2))
        return
    for line in _describe(summary):
        click.echo(line)
