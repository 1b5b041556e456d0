"""`rungway eval run`: a dataset through the gateway as a workload, scored, streamed to the server.

It talks to a running Rungway server over HTTP (`--server`, default $RUNGWAY_URL or http://127.0.0.1:4000) with a
key of the workload (`--key`, default $RUNGWAY_API_KEY): the gateway's `/v1/chat/completions` for each case
(so every call is traced, priced and budgeted as the workload's) and `/api/eval-runs` for the results. A
progress bar on a terminal, a plain line every tenth of the run in CI (`CI=true`) or when piped; a summary at
the end. Exit code 0 when the run finished, whatever its pass rate (`rungway eval gate` judges it); 1 when
it could not run; 130 after Ctrl-C, which marks the run cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import orjson

from rungway.errors import InvalidRequest
from rungway.evals.runs.cache import DEFAULT_CACHE_DIR, ResponseCache
from rungway.evals.runs.gateway_client import GatewayClient, RetryPolicy
from rungway.evals.runs.model import EvalResult, Trigger
from rungway.evals.runs.runner import EvalRunner, RunOutcome, RunSettings
from rungway.evals.runs.sinks import ApiClient, HttpSink, RunStart
from rungway.evals.runs.sources import PromptRef, open_dataset, parse_dataset_ref, resolve_prompt
from rungway.evals.scorers import ScorerContext
from rungway.evals.scorers.base import JsonValue
from rungway.evals.scorers.models import ChatReply, ChatRequest
from rungway.settings.env import read_environment

__all__ = ["eval_group"]

DEFAULT_URL = "http://127.0.0.1:4000"


class _EvalGroup(click.Group):
    """`rungway eval`: `run` here; the other commands are imported only when named (`run` starts fast)."""

    LAZY = {
        "bind": "rungway.evals.bindings.cli:bind_command",
        "unbind": "rungway.evals.bindings.cli:unbind_command",
        "bindings": "rungway.evals.bindings.cli:bindings_command",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        path = self.LAZY.get(cmd_name)
        if path is not None and cmd_name not in self.commands:
            module, _, attribute = path.partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group("eval", cls=_EvalGroup)
def eval_group() -> None:
    """Evaluate prompts and models on datasets: run a dataset through the gateway and score it."""


def _param(raw: str) -> tuple[str, JsonValue]:
    key, sep, value = raw.partition("=")
    if not sep or not key:
        raise InvalidRequest(f"--param {raw!r}: expected KEY=VALUE, e.g. --param temperature=0", param="param")
    try:
        parsed: JsonValue = orjson.loads(value)
    except orjson.JSONDecodeError:
        parsed = value  # a bare word is a string
    return key, parsed


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, timeout=2, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    out = done.stdout.strip()
    return out if done.returncode == 0 and out and out != "HEAD" else None


class Progress:
    """A rich progress bar on a terminal; a plain line per tenth of the run (and at most every 10 s) in CI."""

    def __init__(self, total: int, plain: bool) -> None:
        self.total = total
        self.plain = plain
        self.done = self.passed = self.errored = 0
        self._next_line = max(1, total // 10)
        self._last = time.monotonic()
        self._bar: Any = None
        self._task: Any = None

    @contextlib.contextmanager
    def shown(self) -> Iterator[Progress]:
        if self.plain:
            yield self
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("eval"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[line]}"),
                      TimeElapsedColumn(), transient=True) as bar:  # fmt: skip
            self._bar = bar
            self._task = bar.add_task("eval", total=self.total or None, line="")
            yield self

    def __call__(self, result: EvalResult) -> None:
        self.done += 1
        self.passed += result.passed
        self.errored += result.error is not None
        line = f"passed {self.passed}, errored {self.errored}"
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, line=line)
            return
        now = time.monotonic()
        if self.done % self._next_line == 0 or now - self._last >= 10:
            self._last = now
            click.echo(f"eval: {self.done}/{self.total or '?'} done, {line}")


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _summary(outcome: RunOutcome, url: str, elapsed: float) -> None:
    run = outcome.summary
    cases = run.get("cases", outcome.tally.cases)
    click.echo(
        f"eval run {outcome.run_id} {outcome.status.value}: {cases} results, {run.get('passed', 0)} passed "
        f"({_pct(run.get('pass_rate', 0.0))}, 95% CI {_pct(run.get('pass_rate_low', 0.0))}-"
        f"{_pct(run.get('pass_rate_high', 1.0))}), {run.get('errored', 0)} errored, {run.get('cached', 0)} cached"
    )
    for metric in run.get("metrics") or ():
        click.echo(f"  {metric['name']:<28} mean {metric['mean']:.3f}  pass rate {_pct(metric['pass_rate'])}")
    cost = run.get("cost_usd") or 0.0
    click.echo(f"cost ${cost:.6f}, {elapsed:.2f} s, {outcome.retries} retries; {url}/api/eval-runs/{outcome.run_id}")


class _JudgeClient:
    """The gateway client of model-graded assertions, made on first use: a run without them never imports it."""

    def __init__(self, url: str, key: str) -> None:
        self.url, self.key = url, key
        self._client: Any = None

    def _made(self) -> Any:
        if self._client is None:
            from rungway.evals.scorers.http_client import HttpModelClient

            self._client = HttpModelClient(self.url, self.key)
        return self._client

    async def chat(self, request: ChatRequest) -> ChatReply:
        reply: ChatReply = await self._made().chat(request)
        return reply

    async def embed(self, model: str, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = await self._made().embed(model, texts)
        return vectors

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()


@dataclass(frozen=True, slots=True)
class _Options:
    url: str
    key: str
    workload: str
    dataset: str
    prompt: str | None
    model: str | None
    params: tuple[str, ...]
    concurrency: int
    repeat: int
    cache_dir: Path | None
    attempts: int
    timeout_s: float
    judge_model: str | None
    plain: bool


async def _run(o: _Options) -> tuple[RunOutcome, float]:
    started = time.perf_counter()
    api = ApiClient(o.url, o.key)
    client = GatewayClient(o.url, o.key, concurrency=o.concurrency, timeout_s=o.timeout_s,
                           retry=RetryPolicy(attempts=o.attempts))  # fmt: skip
    models = _JudgeClient(o.url, o.key)
    cache = ResponseCache(o.cache_dir) if o.cache_dir is not None else None
    try:
        name, version = parse_dataset_ref(o.dataset)
        source = await open_dataset(api, o.workload, name, version)
        prompt = await resolve_prompt(api, o.workload, PromptRef.parse(o.prompt)) if o.prompt else None
        if prompt is None and not o.model:
            raise InvalidRequest("give --model (or --prompt NAME@VERSION, whose model is used)", param="model")
        parameters = dict(_param(p) for p in o.params)
        settings = RunSettings(
            concurrency=o.concurrency,
            repeat=o.repeat,
            model=o.model,
            parameters=parameters,
            prompt=prompt.choice if prompt else None,
            scorer_context=ScorerContext(models=models, judge_model=o.judge_model or o.model),
        )
        start = RunStart(
            workload=o.workload,
            dataset=name,
            dataset_version=source.version,
            model=o.model or (prompt.model if prompt else None),
            parameters=parameters,
            prompt=prompt.choice.name if prompt else None,
            prompt_version=prompt.choice.version if prompt else None,
            repeat=o.repeat,
            trigger=Trigger.CLI,
            git_commit=_git("rev-parse", "HEAD"),
            git_branch=_git("rev-parse", "--abbrev-ref", "HEAD"),
        )
        progress = Progress(source.case_count * o.repeat, o.plain)
        with progress.shown():
            outcome = await EvalRunner(client, settings, cache, progress).run(start, source, HttpSink(api))
        return outcome, time.perf_counter() - started
    finally:
        if cache is not None:
            cache.close()
        await asyncio.gather(client.close(), api.close(), models.close())


def _event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # Windows: the default loop
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


@eval_group.command("run")
@click.option("--workload", "-w", required=True, help="The workload the run is for (the key must be one of its keys)")
@click.option("--dataset", "-d", required=True, metavar="NAME[@VERSION]", help="The dataset version (default newest)")
@click.option("--prompt", "-p", metavar="NAME@VERSION|NAME:LABEL", help="Render each case's vars with this prompt")
@click.option("--model", "-m", help="The model (overrides the prompt's)")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A call parameter, e.g. temperature=0")
@click.option("--concurrency", "-c", type=click.IntRange(1, 256), default=32, show_default=True)
@click.option("--repeat", "-r", type=click.IntRange(1, 100), default=1, show_default=True, help="Runs of each case")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the local response cache")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_CACHE_DIR,
              show_default=True, help="Where the response cache lives")  # fmt: skip
@click.option("--retries", type=click.IntRange(0, 10), default=3, show_default=True,
              help="Retries of a call on a transient error (429, 5xx, connection)")  # fmt: skip
@click.option("--timeout", "timeout_s", type=click.FloatRange(1, 3600), default=300, show_default=True,
              help="Seconds a call may take")  # fmt: skip
@click.option("--judge-model", help="The default model of model-graded assertions (default --model)")
@click.option("--server", "url", metavar="URL", help=f"The server (default $RUNGWAY_URL, else {DEFAULT_URL})")
@click.option("--key", help="An API key of the workload (default $RUNGWAY_API_KEY)")
def run_command(
    workload: str,
    dataset: str,
    prompt: str | None,
    model: str | None,
    params: tuple[str, ...],
    concurrency: int,
    repeat: int,
    no_cache: bool,
    cache_dir: Path,
    retries: int,
    timeout_s: float,
    judge_model: str | None,
    url: str | None,
    key: str | None,
) -> None:
    """Run a dataset through the gateway, score every case, and store the run on the server."""
    env = read_environment()
    secret = key or env.api_key
    if not secret:
        raise click.UsageError("no API key: pass --key or set RUNGWAY_API_KEY to a key of the workload")
    options = _Options(
        url=(url or env.server_url or DEFAULT_URL).rstrip("/"),
        key=secret,
        workload=workload,
        dataset=dataset,
        prompt=prompt,
        model=model,
        params=params,
        concurrency=concurrency,
        repeat=repeat,
        cache_dir=None if no_cache else cache_dir,
        attempts=retries + 1,
        timeout_s=timeout_s,
        judge_model=judge_model,
        plain=env.ci or not sys.stdout.isatty(),
    )
    runner = asyncio.Runner(loop_factory=_event_loop)
    try:
        outcome, elapsed = runner.run(_run(options))
    except KeyboardInterrupt:
        click.echo("eval run cancelled (the run is marked cancelled on the server)", err=True)
        sys.exit(130)
    finally:
        runner.close()
    _summary(outcome, options.url, elapsed)
