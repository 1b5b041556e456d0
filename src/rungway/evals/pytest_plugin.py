"""A pytest plugin (entry point `pytest11`) so teams write evals as tests, run where their tests already run.

The `rungway_eval` fixture runs a dataset version (or cases written inline) through the gateway with the
given assertions, and fails the test with a readable diff of the failing cases when the pass rate is below
`min_pass_rate`:

    def test_refunds(rungway_eval):
        rungway_eval(dataset="refunds", model="gpt-4o-mini", min_pass_rate=0.95)

    @pytest.mark.rungway_eval(model="gpt-4o-mini", workload="support")
    def test_greeting(rungway_eval):
        report = rungway_eval(cases=[{"key": "hi", "messages": [{"role": "user", "content": "hi"}],
                                      "assert": [{"type": "icontains", "value": "hello"}]}])
        assert report.passed == 1

The server and key come from `--rungway-url` / `--rungway-key` or $RUNGWAY_URL / $RUNGWAY_API_KEY; the
`rungway_eval` marker's keywords are defaults for the fixture's calls in that test. Nothing of the runner
is imported until a test calls the fixture, so the plugin costs other test suites nothing.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from rungway.evals.runs.model import EvalResult
    from rungway.evals.runs.runner import EvalCase, RunOutcome

__all__ = ["EvalReport", "RungwayEval", "rungway_eval"]

MAX_KEPT_FAILURES = 200
MAX_SHOWN_FAILURES = 20
MAX_SHOWN_CHARS = 400


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rungway", "Rungway evals (the rungway_eval fixture)")
    group.addoption("--rungway-url", help="The Rungway server (default $RUNGWAY_URL, else http://127.0.0.1:4000)")
    group.addoption("--rungway-key", help="An API key of the workload (default $RUNGWAY_API_KEY)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "rungway_eval(**defaults): defaults (model, workload, min_pass_rate, ...) for rungway_eval calls"
    )


@dataclass(frozen=True, slots=True)
class EvalReport:
    """What an eval in a test gave: the counts, the pass rate, and the failing results (up to 200)."""

    run_id: str
    cases: int
    passed: int
    errored: int
    failures: tuple[EvalResult, ...]
    expected: Mapping[str, str] = field(default_factory=dict)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.cases if self.cases else 0.0

    def diff(self) -> str:
        """The failing cases, readable: each failing assertion's explanation, and expected against output."""
        lines = [f"{self.cases - self.passed} of {self.cases} cases failed (pass rate {self.pass_rate:.1%}):"]
        for r in self.failures[:MAX_SHOWN_FAILURES]:
            lines.append(f"- {r.case_key}#{r.repeat}" + (f": error: {r.error}" if r.error else ""))
            lines += [f"    {s.metric}: {s.score.explanation}" for s in r.scores if not s.score.passed]
            expected = self.expected.get(r.case_key)
            if expected is not None and not r.error:
                diff = difflib.unified_diff(expected.splitlines(), r.output.splitlines(), "expected", "output",
                                            lineterm="", n=1)  # fmt: skip
                lines += [f"    {d}" for d in diff]
            elif not r.error:
                lines.append(f"    output: {r.output[:MAX_SHOWN_CHARS]!r}")
        if len(self.failures) > MAX_SHOWN_FAILURES:
            lines.append(f"...and {len(self.failures) - MAX_SHOWN_FAILURES} more")
        return "\n".join(lines)


class _InlineSource:
    """Cases written in the test, or a dataset's pages with the test's extra assertions added."""

    def __init__(self, dataset: str, version: str, cases: Sequence[EvalCase], defaults: Sequence[Any]) -> None:
        self.dataset, self.version = dataset, version
        self.cases = list(cases)
        self.default_assertions = list(defaults)

    async def pages(self) -> AsyncIterator[Sequence[EvalCase]]:
        yield self.cases


class _MemorySink:
    """Keeps nothing: an inline eval is not stored on the server (only its calls are, in the request log)."""

    async def start(self, run: Any) -> str:
        return "inline"

    async def write(self, run_id: str, results: Sequence[EvalResult]) -> None:
        return None

    async def finish(self, run_id: str, status: Any, error: str | None = None) -> dict[str, Any]:
        return {}


def _case(raw: Mapping[str, Any], index: int) -> EvalCase:
    from rungway.evals.runs.runner import EvalCase

    if not isinstance(raw, Mapping) or not (raw.get("messages") or raw.get("vars")):
        raise pytest.UsageError(f"rungway_eval: cases[{index}] needs messages (or vars with a prompt)")
    return EvalCase(str(raw.get("key") or f"case-{index}"), raw.get("vars") or {}, raw.get("messages") or (),
                    raw.get("expected"), raw.get("assert") or raw.get("assertions") or (),
                    raw.get("metadata") or {})  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Options:
    url: str
    key: str
    workload: str | None
    dataset: str | None
    cases: Sequence[Mapping[str, Any]]
    model: str | None
    prompt: str | None
    assertions: Sequence[Mapping[str, Any]]
    repeat: int
    concurrency: int
    record: bool


async def _run(o: _Options, failures: list[EvalResult]) -> RunOutcome:
    from rungway.evals.runs.gateway_client import GatewayClient
    from rungway.evals.runs.model import Trigger
    from rungway.evals.runs.runner import EvalRunner, RunSettings
    from rungway.evals.runs.sinks import ApiClient, HttpSink, RunStart
    from rungway.evals.runs.sources import PromptRef, open_dataset, parse_dataset_ref, resolve_prompt

    api = ApiClient(o.url, o.key)
    client = GatewayClient(o.url, o.key, concurrency=o.concurrency)
    try:
        prompt = await resolve_prompt(api, o.workload or "", PromptRef.parse(o.prompt)) if o.prompt else None
        source: Any
        if o.dataset:
            name, version = parse_dataset_ref(o.dataset)
            found = await open_dataset(api, o.workload or "", name, version)
            found.default_assertions = [*found.default_assertions, *o.assertions]
            source = found
        else:
            name = "inline"
            source = _InlineSource(name, "0", [_case(c, i) for i, c in enumerate(o.cases)], o.assertions)
        settings = RunSettings(concurrency=o.concurrency, repeat=o.repeat, model=o.model,
                               prompt=prompt.choice if prompt else None)  # fmt: skip
        start = RunStart(workload=o.workload or "", dataset=name, dataset_version=source.version,
                         model=o.model or (prompt.model if prompt else None), repeat=o.repeat, trigger=Trigger.API,
                         prompt=prompt.choice.name if prompt else None,
                         prompt_version=prompt.choice.version if prompt else None)  # fmt: skip

        def keep(result: EvalResult) -> None:
            if not result.passed and len(failures) < MAX_KEPT_FAILURES:
                failures.append(result)

        sink = HttpSink(api) if o.record else _MemorySink()
        return await EvalRunner(client, settings, None, keep).run(start, source, sink)
    finally:
        await asyncio.gather(client.close(), api.close())


class RungwayEval:
    """The `rungway_eval` fixture's value: call it to run an eval; it fails the test below `min_pass_rate`."""

    def __init__(self, config: pytest.Config, defaults: Mapping[str, Any]) -> None:
        self.config = config
        self.defaults = dict(defaults)

    def __call__(self, **given: Any) -> EvalReport:
        from rungway.settings.env import read_environment

        kw = {**self.defaults, **given}
        unknown = set(kw) - {"dataset", "cases", "workload", "model", "prompt", "assertions", "repeat",
                             "concurrency", "min_pass_rate", "record"}  # fmt: skip
        if unknown:
            raise pytest.UsageError(f"rungway_eval: unknown keyword(s) {sorted(unknown)}")
        if bool(kw.get("dataset")) == bool(kw.get("cases")):
            raise pytest.UsageError("rungway_eval: give dataset=NAME[@VERSION] or cases=[...], not both or neither")
        env = read_environment()
        key = self.config.getoption("rungway_key") or env.api_key
        if not key:
            raise pytest.UsageError("rungway_eval: no API key: pass --rungway-key or set RUNGWAY_API_KEY")
        options = _Options(
            url=(self.config.getoption("rungway_url") or env.server_url or "http://127.0.0.1:4000").rstrip("/"),
            key=key, workload=kw.get("workload"), dataset=kw.get("dataset"), cases=kw.get("cases") or (),
            model=kw.get("model"), prompt=kw.get("prompt"), assertions=list(kw.get("assertions") or ()),
            repeat=int(kw.get("repeat", 1)), concurrency=int(kw.get("concurrency", 8)), record=bool(kw.get("record")),
        )  # fmt: skip
        if options.record and not options.dataset:
            raise pytest.UsageError("rungway_eval: record=True stores a run of a dataset; inline cases are not stored")
        failures: list[EvalResult] = []
        outcome = asyncio.run(_run(options, failures))
        tally = outcome.tally
        expected = {str(c.get("key") or f"case-{i}"): str(c["expected"])
                    for i, c in enumerate(options.cases) if c.get("expected") is not None}  # fmt: skip
        report = EvalReport(outcome.run_id, tally.cases, tally.passed, tally.errored, tuple(failures), expected)
        if report.pass_rate < float(kw.get("min_pass_rate", 1.0)):
            pytest.fail(report.diff(), pytrace=False)
        return report


@pytest.fixture
def rungway_eval(request: pytest.FixtureRequest) -> RungwayEval:
    """Run an eval in a test: `rungway_eval(dataset=... | cases=[...], model=..., min_pass_rate=1.0)`."""
    marker = request.node.get_closest_marker("rungway_eval")
    return RungwayEval(request.config, marker.kwargs if marker else {})
