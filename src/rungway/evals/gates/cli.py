"""`rungway eval compare` and `rungway eval gate`: the comparison and the CI gate, added to the `eval` group.

Both talk to a running server over HTTP like `eval run` (`--server`, default $RUNGWAY_URL; `--key`, default
$RUNGWAY_API_KEY). `eval gate` exits 0 when the run passes, 1 when it fails (every reason printed, and as
`::error::` annotations when GITHUB_ACTIONS=true), 2 on a usage error: a requirement that does not parse, a
run that cannot be read, a server that cannot be reached.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote, urlencode

import click
import orjson

from rungway.evals.gates.compare import CaseRecord, Comparison, compare_records
from rungway.evals.gates.gate import (
    GateResult,
    RequirementError,
    evaluate,
    github_annotations,
    junit_xml,
    markdown,
    parse_requirement,
)
from rungway.evals.runs.cli import DEFAULT_URL, eval_group
from rungway.evals.runs.sinks import ApiClient, ApiError
from rungway.settings.env import read_environment

__all__ = ["eval_group"]

RUN_ID = re.compile(r"run_[A-Za-z0-9_-]{1,36}")
LABEL = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
PAGE = 1000
T = TypeVar("T")


def _client(url: str | None, key: str | None) -> ApiClient:
    env = read_environment()
    secret = key or env.api_key or env.admin_key
    if not secret:
        raise click.UsageError("no API key: pass --key or set RUNGWAY_API_KEY")
    return ApiClient((url or env.server_url or DEFAULT_URL).rstrip("/"), secret)


def _run_async(client: ApiClient, work: Callable[[ApiClient], Awaitable[T]]) -> T:
    async def go() -> T:
        try:
            return await work(client)
        finally:
            await client.close()

    try:
        return asyncio.run(go())
    except ApiError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


def _server_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--key", help="An API key (default $RUNGWAY_API_KEY)")(f)
    return click.option(
        "--server", "url", metavar="URL", help=f"The server (default $RUNGWAY_URL, else {DEFAULT_URL})"
    )(f)


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _print_comparison(data: dict[str, Any], rich_table: bool) -> None:
    a, b = data["a"], data["b"]
    click.echo(f"{b['id']} vs {a['id']} ({a['dataset']}): {data['matched']} cases matched, "
               f"{len(data['regressions'])} regressed, {len(data['improvements'])} improved, "
               f"{data['only_in_a']} only in A, {data['only_in_b']} only in B")  # fmt: skip
    rows = [(m["metric"], f"{m['mean_a']:.3f}", f"{m['mean_b']:.3f}",
             f"{m['mean_difference']:+.3f} [{m['difference_low']:+.3f}, {m['difference_high']:+.3f}]",
             f"{_pct(m['pass_rate_a'])} -> {_pct(m['pass_rate_b'])}", f"{m['mcnemar_p_value']:.3g}", m["verdict"])
            for m in data["metrics"]]  # fmt: skip
    head = ("metric", "mean A", "mean B", "difference [CI]", "pass rate", "McNemar p", "verdict")
    if rich_table:
        from rich.console import Console
        from rich.table import Table

        table = Table(*head)
        for row in rows:
            style = {"regression": "red", "improvement": "green"}.get(row[-1])
            table.add_row(*row, style=style)
        Console().print(table)
    else:
        for row in rows:
            click.echo("  " + "  ".join(row))
    for label, changes in (("regressed", data["regressions"]), ("improved", data["improvements"])):
        for c in changes[:50]:
            click.echo(f"{label}: {c['case_key']}#{c['repeat']} {c['score_a']:.2f} -> {c['score_b']:.2f} "
                       f"{c['explanation']}")  # fmt: skip
    if data["significant_regressions"]:
        click.echo(f"significant regressions: {', '.join(data['significant_regressions'])}")


@eval_group.command("compare")
@click.argument("run_a")
@click.argument("run_b")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON")
@click.option("--alpha", type=click.FloatRange(0.001, 0.5), default=0.05, show_default=True,
              help="The significance level of the paired tests")  # fmt: skip
@_server_options
def compare_command(run_a: str, run_b: str, as_json: bool, alpha: float, url: str | None, key: str | None) -> None:
    """Compare RUN_B with RUN_A (the baseline) case by case: regressions, improvements, significant changes."""
    for name, value in (("RUN_A", run_a), ("RUN_B", run_b)):
        if not RUN_ID.fullmatch(value):
            raise click.BadParameter(f"{value!r} is not a run id (run_...); list runs with GET /api/eval-runs",
                                     param_hint=name)  # fmt: skip
    query = urlencode({"a": run_a, "b": run_b, "alpha": alpha})
    data = _run_async(_client(url, key), lambda c: c.call("GET", f"/api/eval-runs/compare?{query}"))
    if as_json:
        click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
    else:
        _print_comparison(data, sys.stdout.isatty())


async def _records(client: ApiClient, run_id: str) -> list[CaseRecord]:
    out: list[CaseRecord] = []
    after: str | None = None
    while True:
        query = {"limit": str(PAGE), **({"after": after} if after else {})}
        page = await client.call("GET", f"/api/eval-runs/{quote(run_id, safe='')}?{urlencode(query)}")
        out += [CaseRecord.from_json(r) for r in page["results"]]
        after = page.get("next_after")
        if not after:
            return out


@dataclass(frozen=True, slots=True)
class _Baseline:
    run_id: str | None
    note: str


async def _find_baseline(client: ApiClient, run: dict[str, Any], against: str) -> _Baseline:
    """A run id as given, or the newest finished run of this dataset for the version holding label `against`."""
    if RUN_ID.fullmatch(against):
        return _Baseline(against, f"baseline: run {against}")
    if not run.get("prompt"):
        return _Baseline(None, f"no baseline: run {run['id']} used no prompt, so it has no {against!r} version")
    workload, prompt = run["workload"], run["prompt"]
    try:
        query = urlencode({"workload": workload, "label": against})
        held = await client.call("GET", f"/api/prompts/{quote(prompt, safe='')}?{query}")
    except ApiError as exc:
        if " 404:" not in str(exc):
            raise
        return _Baseline(None, f"no baseline: no version of prompt {prompt} holds label {against!r}")
    version = int(held["version"])
    query = urlencode({"workload": workload, "dataset": run["dataset"], "prompt": prompt, "status": "finished",
                       "limit": 500})  # fmt: skip
    listed = await client.call("GET", f"/api/eval-runs?{query}")
    for other in listed.get("data") or ():
        if other.get("prompt_version") == version and other["id"] != run["id"]:
            return _Baseline(other["id"], f"baseline: run {other['id']} of {prompt}@{version} ({against})")
    return _Baseline(None, f"no baseline: no finished run of dataset {run['dataset']} for {prompt}@{version} "
                           f"({against})")  # fmt: skip


@dataclass(frozen=True, slots=True)
class _GateInput:
    run_id: str
    against: str | None
    if_no_baseline: str
    alpha: float


async def _gate(client: ApiClient, o: _GateInput, requirements: list[Any]) -> tuple[GateResult, dict[str, Any],
                                                                                     list[CaseRecord]]:  # fmt: skip
    run = await client.call("GET", f"/api/eval-runs/{quote(o.run_id, safe='')}?limit=0")
    records = await _records(client, o.run_id)
    comparison: Comparison | None = None
    notes: list[str] = []
    baseline_id: str | None = None
    if o.against:
        baseline = await _find_baseline(client, run, o.against)
        baseline_id = baseline.run_id
        if baseline.run_id is None:
            notes.append(("fail: " if o.if_no_baseline == "fail" else "") + baseline.note
                         + f" (--if-no-baseline {o.if_no_baseline})")  # fmt: skip
        else:
            notes.append(baseline.note)
            base = await client.call("GET", f"/api/eval-runs/{quote(baseline.run_id, safe='')}?limit=0")
            if base.get("dataset") != run.get("dataset"):
                raise click.UsageError(f"--no-regression-vs {o.against}: run {baseline.run_id} is of dataset "
                                       f"{base.get('dataset')}, not {run.get('dataset')}")  # fmt: skip
            comparison = compare_records(await _records(client, baseline.run_id), records, alpha=o.alpha)
    return evaluate(run, requirements, comparison=comparison, baseline_run=baseline_id, notes=notes), run, records


class _UsageErrorExits2(click.Command):
    """A command whose usage errors (bad options, bad requirements) exit 2, apart from a failed gate's 1."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:  # fmt: skip
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            _usage_exit(exc)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            _usage_exit(exc)


def _usage_exit(exc: click.UsageError) -> NoReturn:
    from rungway.cli.main import usage_error_line

    click.echo(f"error: {usage_error_line(exc)}", err=True)
    sys.exit(2)


@eval_group.command("gate", cls=_UsageErrorExits2)
@click.option("--run", "run_id", required=True, metavar="RUN_ID", help="The run to judge")
@click.option("--require", "requires", multiple=True, metavar="EXPR",
              help="A requirement, e.g. 'pass_rate>=0.9' or 'metric:contains>=95%' (repeatable)")  # fmt: skip
@click.option("--no-regression-vs", "against", metavar="RUN_ID|LABEL",
              help="Fail on a significant regression against this run, or the newest finished run of the version "
                   "holding this prompt label (e.g. production)")  # fmt: skip
@click.option("--if-no-baseline", type=click.Choice(["fail", "pass"]), default="fail", show_default=True,
              help="The verdict when --no-regression-vs finds no baseline run")  # fmt: skip
@click.option("--alpha", type=click.FloatRange(0.001, 0.5), default=0.05, show_default=True)
@click.option("--markdown", "markdown_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a Markdown summary (for a pull-request comment) here")  # fmt: skip
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write JUnit XML (one testcase per case) here")  # fmt: skip
@click.option("--no-record", is_flag=True, help="Do not record the verdict on the run")
@_server_options
def gate_command(run_id: str, requires: tuple[str, ...], against: str | None, if_no_baseline: str, alpha: float,
                 markdown_file: Path | None, junit_file: Path | None, no_record: bool, url: str | None,
                 key: str | None) -> None:  # fmt: skip
    """Judge a run: exit 0 if it meets every requirement (and does not regress), 1 if not, 2 on a usage error."""
    if not RUN_ID.fullmatch(run_id):
        raise click.BadParameter(f"{run_id!r} is not a run id (run_...)", param_hint="--run")
    if against is not None and not (RUN_ID.fullmatch(against) or LABEL.fullmatch(against)):
        raise click.BadParameter(f"{against!r}: give a run id (run_...) or a label such as production",
                                 param_hint="--no-regression-vs")  # fmt: skip
    if not requires and against is None:
        raise click.UsageError("nothing to check: give --require EXPR and/or --no-regression-vs RUN_ID|LABEL")
    try:
        requirements = [parse_requirement(r) for r in requires]
    except RequirementError as exc:
        raise click.UsageError(str(exc)) from None
    options = _GateInput(run_id, against, if_no_baseline, alpha)
    client = _client(url, key)

    async def work(c: ApiClient) -> tuple[GateResult, dict[str, Any], list[CaseRecord]]:
        outcome = await _gate(c, options, requirements)
        if not no_record:
            await c.call("POST", f"/api/eval-runs/{quote(run_id, safe='')}/gates", outcome[0].to_json())
        return outcome

    result, run, records = _run_async(client, work)
    summary = markdown(result, run)
    if markdown_file is not None:
        markdown_file.write_text(summary, encoding="utf-8")
    step_summary = read_environment().variables.get("GITHUB_STEP_SUMMARY")
    if step_summary:  # GitHub Actions shows this file on the job's page
        with Path(step_summary).open("a", encoding="utf-8") as out:
            out.write(summary)
    if junit_file is not None:
        junit_file.write_bytes(junit_xml(run, records))
    for r in result.requirements:
        click.echo(("PASS " if r.passed else "FAIL ") + r.reason)
    for note in result.notes:
        click.echo(note)
    if result.comparison is not None:
        cmp = result.comparison
        click.echo(f"vs {result.baseline_run}: {cmp.matched} matched, {len(cmp.regressions)} regressed, "
                   f"{len(cmp.improvements)} improved")  # fmt: skip
    if read_environment().variables.get("GITHUB_ACTIONS") == "true":
        for line in github_annotations(result):
            click.echo(line)
    click.echo(f"eval gate {'passed' if result.passed else 'FAILED'}: run {run_id}")
    sys.exit(0 if result.passed else 1)
