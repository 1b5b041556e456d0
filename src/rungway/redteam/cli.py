"""`rungway redteam`: run the attack corpus through the gateway as a workload, and read runs, diffs and schedules.

It talks to a running server over HTTP (`--server`, default $RUNGWAY_URL or http://127.0.0.1:4000) with a key of
the workload (`--key`, default $RUNGWAY_API_KEY): the gateway's `/v1/chat/completions` for each attack (so the
calls are recorded, traced and budgeted as the workload's, its prompt and filters in place) and
`/api/redteam/runs` for the graded results. Exit codes: 0 done; 1 a mistake or an unreachable server (one line
naming the fix); 3 with `--fail-on-regression` when the run has new failures since the previous run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import click
import orjson

from rungway.cli.api_client import connect, server_options
from rungway.errors import InvalidRequest
from rungway.redteam.client import GatewayChat
from rungway.redteam.corpus import load_corpus
from rungway.redteam.grading import default_scanner, planted_for
from rungway.redteam.runner import PromptChoice, RedTeamRunner, RunSettings

__all__ = ["REGRESSION_EXIT", "redteam_group"]

REGRESSION_EXIT = 3
F = TypeVar("F", bound=Callable[..., Any])


def _categories(raw: Sequence[str]) -> list[str]:
    return [c.strip() for item in raw for c in item.split(",") if c.strip()]


def _variables(raw: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in raw:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InvalidRequest(f"--var {item!r}: expected NAME=VALUE, e.g. --var question=hello", param="var")
        out[name] = value
    return out


def _rates(run: dict[str, Any]) -> None:
    click.echo(f"run {run['id']} ({run['workload']}, corpus {run['corpus_version']}): {run['succeeded']} of "
               f"{run['attacks']} attacks succeeded ({run['rate']:.1%}), {run['errors']} errored")  # fmt: skip
    for category, rate in run["rates"].items():
        click.echo(f"  {category:<26} {rate['succeeded']:>3}/{rate['attacks']:<3} {rate['rate']:>6.1%}")


def _diff(diff: dict[str, Any]) -> None:
    if diff["previous_run_id"] is None:
        click.echo("no previous run of this workload: nothing to compare")
        return
    click.echo(f"since {diff['previous_run_id']}: {len(diff['new_failures'])} new failures, {len(diff['fixed'])} "
               f"fixed, {len(diff['unchanged'])} unchanged")  # fmt: skip
    for name, ids in (("new", diff["new_failures"]), ("fixed", diff["fixed"])):
        for attack in ids[:50]:
            click.echo(f"  {name:<6} {attack}")


@click.group("redteam")
def redteam_group() -> None:
    """Red-team a workload: attacks through the gateway, graded, with the diff from the previous run."""


@redteam_group.command("run")
@click.option("--workload", "-w", required=True, help="the workload to attack (the key's own)")
@click.option("--categories", "-c", multiple=True, help="only these categories (comma-separated or repeated)")
@click.option("--prompt", metavar="NAME@LABEL", help="send the workload's registry prompt by reference")
@click.option("--model", help="the model to call (needed when the prompt sets none)")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help="a variable of the prompt")
@click.option("--judge", "judge", metavar="MODEL", help="a judge model grading the `comply` attacks")
@click.option("--seed", type=click.IntRange(0, 2**62), default=0, show_default=True)
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option("--fail-on-regression", is_flag=True, help=f"exit {REGRESSION_EXIT} when an attack newly succeeds")
@click.option("--json", "as_json", is_flag=True, help="print the stored run, its diff and alerts as JSON")
@server_options
def run_command(workload: str, categories: Sequence[str], prompt: str | None, model: str | None,
                variables: Sequence[str], judge: str | None, seed: int, concurrency: int, fail_on_regression: bool,
                as_json: bool, server: str | None, key: str | None) -> None:  # fmt: skip
    """Send the corpus's attacks as the workload, grade them and store the run."""
    api = connect(server, key)
    corpus = load_corpus()
    chosen = _categories(categories)
    attacks = corpus.select(chosen or None)
    try:
        choice = PromptChoice.parse(prompt) if prompt else None
    except ValueError as exc:
        raise InvalidRequest(str(exc), param="prompt") from None
    if choice is None and model is None:
        raise InvalidRequest("give --prompt NAME@LABEL or --model MODEL: the attacks need something to call",
                             param="model")  # fmt: skip
    settings = RunSettings(model, choice, _variables(variables), judge, seed, concurrency)

    async def attack() -> list[Any]:
        async with GatewayChat(api.server, api.key) as chat:
            return await RedTeamRunner(chat, settings, planted_for(seed), default_scanner()).run(attacks)

    started = time.time()
    results = asyncio.run(attack())
    body = {"workload": workload, "corpus_version": corpus.version, "categories": chosen,
            "prompt": str(choice) if choice else None, "model": model, "judge_model": judge, "seed": seed,
            "trigger": "cli", "started_at": started, "finished_at": time.time(),
            "results": [r.to_json() for r in results]}  # fmt: skip
    stored = api.post("/api/redteam/runs", body)
    if as_json:
        click.echo(orjson.dumps(stored, option=orjson.OPT_INDENT_2).decode())
    else:
        _rates(stored["run"])
        _diff(stored["diff"])
        for alert in stored["alerts"]:
            click.echo(f"ALERT {alert['kind']}: {alert['message']}")
    if fail_on_regression and stored["diff"]["new_failures"]:
        raise SystemExit(REGRESSION_EXIT)


@redteam_group.command("list")
@click.option("--workload", "-w", help="an admin names the workload")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@server_options
def list_command(workload: str | None, limit: int, server: str | None, key: str | None) -> None:
    """The workload's runs, newest first."""
    runs = connect(server, key).get("/api/redteam/runs", {"workload": workload, "limit": limit})["data"]
    if not runs:
        click.echo("no red-team runs")
    for run in runs:
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(run["started_at"]))
        click.echo(f"{run['id']}  {when}  {run['workload']:<16} {run['trigger']:<8} "
                   f"{run['succeeded']:>3}/{run['attacks']:<3} {run['rate']:.1%}")  # fmt: skip


@redteam_group.command("show")
@click.argument("run_id")
@click.option("--workload", "-w", help="an admin names the workload")
@click.option("--transcripts", is_flag=True, help="print each finding's transcript")
@server_options
def show_command(run_id: str, workload: str | None, transcripts: bool, server: str | None, key: str | None) -> None:
    """A run's per-category rates and its findings (the attacks that succeeded)."""
    found = connect(server, key).get(f"/api/redteam/runs/{quote(run_id, safe='')}",
                                      {"workload": workload, "failures": "true"})  # fmt: skip
    _rates(found["run"])
    for result in found["results"]:
        triage = found["triage"].get(result["attack_id"])
        mark = f" [{triage['status']}]" if triage else ""
        click.echo(f"  FAIL {result['attack_id']:<28} {result['reason']}{mark}")
        if transcripts:
            for message in result["transcript"]:
                click.echo(f"      {message['role']}: {message['content'][:400]}")


@redteam_group.command("diff")
@click.argument("run_id")
@click.option("--workload", "-w", help="an admin names the workload")
@click.option("--fail-on-regression", is_flag=True, help=f"exit {REGRESSION_EXIT} when the run has new failures")
@server_options
def diff_command(run_id: str, workload: str | None, fail_on_regression: bool, server: str | None,
                 key: str | None) -> None:  # fmt: skip
    """New failures, fixed and unchanged attacks since the workload's previous run."""
    diff = connect(server, key).get(f"/api/redteam/runs/{quote(run_id, safe='')}/diff", {"workload": workload})
    _diff(diff)
    if fail_on_regression and diff["new_failures"]:
        raise SystemExit(REGRESSION_EXIT)


@redteam_group.command("triage")
@click.argument("run_id")
@click.argument("attack_id")
@click.option("--status", type=click.Choice(["accepted", "fixed", "false-positive"]), required=True)
@click.option("--note", default="", help="why")
@server_options
def triage_command(run_id: str, attack_id: str, status: str, note: str, server: str | None, key: str | None) -> None:
    """Record how a finding was triaged."""
    path = f"/api/redteam/runs/{quote(run_id, safe='')}/findings/{quote(attack_id, safe='')}/triage"
    connect(server, key).post(path, {"status": status, "note": note})
    click.echo(f"{attack_id} in {run_id}: {status}")


@redteam_group.command("schedule")
@click.option("--workload", "-w", help="an admin names the workload")
@click.option("--every", help="run every 30m..52w, e.g. 7d (without it: list the schedules)")
@click.option("--categories", "-c", multiple=True, help="only these categories")
@click.option("--prompt", metavar="NAME@LABEL")
@click.option("--model")
@click.option("--delete", is_flag=True, help="remove the workload's schedule")
@server_options
def schedule_command(workload: str | None, every: str | None, categories: Sequence[str], prompt: str | None,
                     model: str | None, delete: bool, server: str | None, key: str | None) -> None:  # fmt: skip
    """List the schedules, set the workload's (`--every`), or remove it (`--delete`)."""
    api = connect(server, key)
    if delete:
        done = api.post("/api/redteam/schedules/delete", {"workload": workload})
        click.echo("schedule removed" if done["deleted"] else "no schedule to remove")
        return
    if every:
        api.post("/api/redteam/schedules", {"workload": workload, "every": every, "categories": _categories(categories),
                                            "prompt": prompt, "model": model})  # fmt: skip
    for row in api.get("/api/redteam/schedules", {"workload": workload})["data"]:
        last = time.strftime("%Y-%m-%d %H:%M", time.gmtime(row["last_run_at"])) if row["last_run_at"] else "never"
        click.echo(f"{row['workload']:<16} every {row['every_s'] / 86400:g}d  {row['source']:<6} "
                   f"{','.join(row['categories']) or 'all categories'}  last run {last}")  # fmt: skip
