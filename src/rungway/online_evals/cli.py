"""`rungway online-evals`: list, add and remove a workload's online scorers, and read today's status.

It talks to a running server over HTTP (`--server`, default $RUNGWAY_URL or http://127.0.0.1:4000) with a key of
the workload (`--key`, default $RUNGWAY_API_KEY), through `/api/online-evals`, so a change made here meets the
API's rules (admin role to add or remove, the key's own workload). Mistakes print one line naming the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import click
import orjson

from rungway.cli.api_client import connect, server_options
from rungway.errors import InvalidRequest

__all__ = ["online_evals_group"]


def _json_option(raw: str, option: str, example: str) -> dict[str, Any]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(
            f"{option}: not JSON ({exc}). Fix: write e.g. {option} '{example}'", param=option
        ) from None
    if not isinstance(value, dict):
        raise InvalidRequest(f"{option}: expected a JSON object. Fix: write e.g. {option} '{example}'", param=option)
    return value


def _tags(raw: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in raw:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InvalidRequest(f"--tag {item!r}: expected NAME=VALUE. Fix: write e.g. --tag tier=gold", param="tag")
        out[name] = value
    return out


@click.group("online-evals")
def online_evals_group() -> None:
    """Online scorers: evaluation assertions judging a sample of a workload's production calls."""


@online_evals_group.command("list")
@click.option("--workload", "-w", help="an admin names the workload")
@server_options
def list_command(workload: str | None, server: str | None, key: str | None) -> None:
    """The workload's online scorers."""
    found = connect(server, key).get("/api/online-evals", {"workload": workload})["data"]
    if not found:
        click.echo("no online scorers")
    for s in found:
        where = ", ".join(f"{k}={v}" for k, v in s["filter"].items()) or "every call"
        click.echo(f"{s['workload']:<16} {s['name']:<20} {s['type']:<16} {s['sample']:>7.2%}  {s['source']:<6} {where}")


@online_evals_group.command("add")
@click.argument("name")
@click.option("--workload", "-w", help="an admin names the workload")
@click.option("--assert", "spec", required=True, metavar="JSON", help="""e.g. '{"type": "contains", "value": "x"}'""")
@click.option("--sample", type=click.FloatRange(1e-6, 1.0), default=0.1, show_default=True, help="share judged")
@click.option("--model", help="only calls to this model")
@click.option("--endpoint", help="only calls to this endpoint, e.g. chat.completions")
@click.option("--route", help="only calls served by this deployment")
@click.option("--prompt", help="only calls referencing this registry prompt")
@click.option("--prompt-version", type=click.IntRange(1, 2**31 - 1), help="only this version of the prompt")
@click.option("--tag", "tags", multiple=True, metavar="NAME=VALUE", help="only calls with this tag (repeatable)")
@server_options
def add_command(
    name: str,
    workload: str | None,
    spec: str,
    sample: float,
    model: str | None,
    endpoint: str | None,
    route: str | None,
    prompt: str | None,
    prompt_version: int | None,
    tags: Sequence[str],
    server: str | None,
    key: str | None,
) -> None:
    """Attach scorer NAME (the score records' name) to the workload."""
    found = {"model": model, "endpoint": endpoint, "route": route, "prompt": prompt, "prompt_version": prompt_version}
    chosen: dict[str, Any] = {k: v for k, v in found.items() if v is not None}
    if tags:
        chosen["tags"] = _tags(tags)
    body: dict[str, Any] = {
        "name": name,
        "assert": _json_option(spec, "--assert", '{"type": "contains", "value": "x"}'),
        "sample": sample,
        "filter": chosen,
    }
    if workload:
        body["workload"] = workload
    made = connect(server, key).post("/api/online-evals", body)
    click.echo(f"added {made['name']} ({made['type']}) to {made['workload']}: {made['sample']:.2%} of matching calls")


@online_evals_group.command("remove")
@click.argument("name")
@click.option("--workload", "-w", help="an admin names the workload")
@server_options
def remove_command(name: str, workload: str | None, server: str | None, key: str | None) -> None:
    """Remove scorer NAME (added through the API or CLI) from the workload."""
    connect(server, key).delete(f"/api/online-evals/{quote(name, safe='')}", {"workload": workload})
    click.echo(f"removed {name}")


@online_evals_group.command("status")
@click.option("--workload", "-w", help="an admin names the workload (default: every workload with scorers)")
@click.option("--json", "as_json", is_flag=True, help="print the status as JSON")
@server_options
def status_command(workload: str | None, as_json: bool, server: str | None, key: str | None) -> None:
    """Today's scoring per workload: spend against the cap, each scorer's counts, online and feedback means."""
    found = connect(server, key).get("/api/online-evals/status", {"workload": workload})["data"]
    if as_json:
        click.echo(orjson.dumps(found, option=orjson.OPT_INDENT_2).decode())
        return
    if not found:
        click.echo("no online scorers")
    for w in found:
        state = "CAPPED: model-graded scorers stopped until tomorrow (UTC)" if w["capped"] else "scoring"
        click.echo(
            f"{w['workload']}: ${w['spent_today_usd']:.4f} of ${w['daily_cost_cap_usd']:g} today, {state}; "
            f"{w['matched_calls_today']} calls matched"
        )
        for s in w["scorers"]:
            t = s["today"]
            click.echo(
                f"  {s['name']:<20} {s['sample']:>7.2%}  matched {t['matched']}  scored {t['scored']}  "
                f"dropped {t['dropped']}  capped {t['capped']}  errors {t['errors']}  ${t['cost_usd']:.4f}"
            )
        for m in w["means"]:
            mean = "—" if m["mean"] is None else f"{m['mean']:.3f}"
            click.echo(f"  mean {m['name']:<20} {m['source']:<9} {mean:>7} over {m['count']} scores (24h)")
