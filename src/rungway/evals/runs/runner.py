"""The eval runner: every case x repeat through the gateway at bounded concurrency, scored, streamed to a sink.

    cases (paged from the source) -> queue (2 x concurrency) -> N workers: cache? else gateway call (retries)
    -> score_case -> batch -> sink (one batch in flight; the next fills meanwhile)

Memory is flat in the number of cases: the source yields pages, the queue is bounded, and a batch is handed
to the sink and dropped; only the run's tally (`RunTally`, constant size) is kept. A case's assertions are the
dataset's defaults plus its own, built once per distinct spec. A case that cannot be answered (a non-transient
error, or transient ones past the retries) is recorded as errored and the run goes on. Cancelling the task
that runs `EvalRunner.run` (Ctrl-C) stops the workers, sends the finished results and marks the run cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from rungway.domain.pricing import Price, usd
from rungway.domain.usage import Usage
from rungway.evals.runs.cache import CachedAnswer, ResponseCache, cache_key
from rungway.evals.runs.gateway_client import Answer, CallFailed, GatewayClient
from rungway.evals.runs.model import EvalResult, MetricScore, RunStatus, RunTally
from rungway.evals.runs.sinks import ResultSink, RunStart
from rungway.evals.scorers import Assertion, InvalidAssertion, Sample, ScorerContext, case_outcome, score_case
from rungway.evals.scorers.base import JsonValue
from rungway.evals.scorers.registry import scorer_from_spec
from rungway.settings.config import shipped_prices

__all__ = ["CaseSource", "EvalCase", "EvalRunner", "PromptChoice", "RunOutcome", "RunSettings"]

MAX_BUILT_ASSERTIONS = 4096  # distinct specs kept built; past it the memo is cleared (memory stays bounded)


@dataclass(frozen=True, slots=True)
class EvalCase:
    """One dataset case as the runner reads it (the datasets capability's case, over the API)."""

    key: str
    vars: Mapping[str, JsonValue] = field(default_factory=dict)
    messages: Sequence[Mapping[str, JsonValue]] = ()
    expected: str | None = None
    assertions: Sequence[Mapping[str, JsonValue]] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)


class CaseSource(Protocol):
    """A dataset version's cases, page by page, and its default assertions."""

    dataset: str
    version: str
    default_assertions: Sequence[Mapping[str, JsonValue]]

    def pages(self) -> AsyncIterator[Sequence[EvalCase]]: ...


@dataclass(frozen=True, slots=True)
class PromptChoice:
    """The prompt version every case is rendered with, pinned by number so the whole run uses one."""

    name: str
    version: int


@dataclass(frozen=True, slots=True)
class RunSettings:
    concurrency: int = 32
    repeat: int = 1
    batch_size: int = 200
    model: str | None = None
    parameters: Mapping[str, JsonValue] = field(default_factory=dict)
    prompt: PromptChoice | None = None
    scorer_context: ScorerContext = field(default_factory=ScorerContext)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    run_id: str
    status: RunStatus
    tally: RunTally
    summary: dict[str, Any]
    retries: int


@dataclass(slots=True)
class _Work:
    case: EvalCase
    repeat: int


class EvalRunner:
    """One run: `run(start, source, sink)`; `on_result` is called for each result (the progress bar)."""

    def __init__(
        self,
        client: GatewayClient,
        settings: RunSettings,
        cache: ResponseCache | None = None,
        on_result: Callable[[EvalResult], None] | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.cache = cache
        self.on_result = on_result
        self.tally = RunTally()
        self.run_id: str | None = None
        self._built: dict[bytes, Assertion] = {}
        self._batch: list[EvalResult] = []
        self._sent: asyncio.Queue[list[EvalResult] | None] = asyncio.Queue(maxsize=1)
        self._send_error: Exception | None = None
        self._prices = shipped_prices()
        self._price_memo: dict[str, Price | None] = {}

    async def run(self, start: RunStart, source: CaseSource, sink: ResultSink) -> RunOutcome:
        starting = asyncio.ensure_future(sink.start(start))
        try:
            run_id = await asyncio.shield(starting)
        except asyncio.CancelledError:  # cancelled while the server made the run: mark it cancelled all the same
            with contextlib.suppress(Exception):
                await sink.finish(await starting, RunStatus.CANCELLED, None)
            raise
        self.run_id = run_id
        sender = asyncio.create_task(self._send(sink, run_id))
        status, error = RunStatus.FINISHED, None
        try:
            await self._run_cases(source)
        except asyncio.CancelledError:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._close(sink, sender, run_id, RunStatus.CANCELLED, None))
            raise
        except Exception as exc:
            # Recorded as the run's failure (when the sink still answers), then raised again.
            with contextlib.suppress(Exception):
                await self._close(sink, sender, run_id, RunStatus.FAILED, f"{type(exc).__name__}: {exc}")
            raise
        summary = await self._close(sink, sender, run_id, status, error)
        return RunOutcome(run_id, status, self.tally, summary, self.client.retries)

    async def _close(
        self, sink: ResultSink, sender: asyncio.Task[None], run_id: str, status: RunStatus, error: str | None
    ) -> dict[str, Any]:
        if self._batch:
            await self._sent.put(self._batch)
            self._batch = []
        await self._sent.put(None)
        await sender
        if self._send_error is not None:
            raise self._send_error
        if self.cache is not None:
            self.cache.flush()
        return await sink.finish(run_id, status, error)

    async def _send(self, sink: ResultSink, run_id: str) -> None:
        while (batch := await self._sent.get()) is not None:
            if self._send_error is None:
                try:
                    await sink.write(run_id, batch)
                except Exception as exc:  # noqa: BLE001 - the workers see it and stop the run with it
                    self._send_error = exc

    async def _run_cases(self, source: CaseSource) -> None:
        defaults = [self._assertion(spec, f"{source.dataset}@{source.version} defaultTest assert[{i}]")
                    for i, spec in enumerate(source.default_assertions)]  # fmt: skip
        queue: asyncio.Queue[_Work | None] = asyncio.Queue(maxsize=2 * self.settings.concurrency)
        workers = [asyncio.create_task(self._worker(queue, defaults)) for _ in range(self.settings.concurrency)]
        try:
            async for page in source.pages():
                for case in page:
                    for repeat in range(self.settings.repeat):
                        await queue.put(_Work(case, repeat))
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _worker(self, queue: asyncio.Queue[_Work | None], defaults: list[Assertion]) -> None:
        while (work := await queue.get()) is not None:
            result = await self._one(work.case, work.repeat, defaults)
            self.tally.add_result(result)
            if self.on_result is not None:
                self.on_result(result)
            self._batch.append(result)
            if len(self._batch) >= self.settings.batch_size:
                await self._hand_over()  # in its own frame: no worker keeps a sent batch alive
                if self._send_error is not None:
                    raise self._send_error
                if self.cache is not None:
                    self.cache.flush()

    async def _hand_over(self) -> None:
        batch, self._batch = self._batch, []
        await self._sent.put(batch)

    def _assertion(self, spec: Mapping[str, JsonValue], where: str) -> Assertion:
        key = orjson.dumps(spec, option=orjson.OPT_SORT_KEYS)
        built = self._built.get(key)
        if built is None:
            if len(self._built) >= MAX_BUILT_ASSERTIONS:
                self._built.clear()
            built = self._built[key] = scorer_from_spec(spec, where=where, context=self.settings.scorer_context)
        return built

    def _body(self, case: EvalCase) -> tuple[dict[str, Any], JsonValue]:
        """The chat body for a case, and the input part of its cache key."""
        s = self.settings
        body: dict[str, Any] = dict(s.parameters)
        if s.model:
            body["model"] = s.model
        if s.prompt is not None:
            body["prompt"] = {"id": s.prompt.name, "version": str(s.prompt.version), "variables": dict(case.vars)}
            if case.messages:
                body["messages"] = list(case.messages)
            return body, [dict(case.vars), [dict(m) for m in case.messages]]
        if not case.messages:
            raise CallFailed("the case has no messages and the run no prompt: give --prompt NAME@VERSION", None, False)
        body["messages"] = list(case.messages)
        return body, [dict(m) for m in case.messages]

    async def _answer(self, case: EvalCase, repeat: int) -> tuple[CachedAnswer, bool]:
        body, request_input = self._body(case)
        key = None
        if self.cache is not None:
            s = self.settings
            prompt = f"{s.prompt.name}@{s.prompt.version}" if s.prompt else None
            if s.repeat > 1:  # each repeat is its own sample: cached apart, not answered once for all
                request_input = [request_input, repeat]
            key = cache_key(prompt, s.model, s.parameters, request_input)
            hit = self.cache.get(key)
            if hit is not None:
                return hit, True
        fresh = await self.client.chat(body)
        answer = CachedAnswer(fresh.output, fresh.tool_calls, fresh.latency_ms, self._cost(fresh),
                              fresh.request_id, fresh.trace_id)  # fmt: skip
        if self.cache is not None and key is not None:
            self.cache.put(key, answer)
        return answer, False

    async def _one(self, case: EvalCase, repeat: int, defaults: list[Assertion]) -> EvalResult:
        try:
            assertions = defaults + [self._assertion(spec, f"case {case.key!r} assert[{i}]")
                                     for i, spec in enumerate(case.assertions)]  # fmt: skip
        except InvalidAssertion as exc:
            return EvalResult(case.key, repeat, "", False, 0.0, error=str(exc))
        try:
            answer, cached = await self._answer(case, repeat)
        except CallFailed as failed:
            return EvalResult(case.key, repeat, "", False, 0.0, request_id=failed.request_id, error=str(failed))
        sample = Sample(
            answer.output, answer.tool_calls, case.expected, case.vars, answer.latency_ms, answer.cost_usd,
            case.metadata,
        )  # fmt: skip
        results = await score_case(assertions, sample) if assertions else []
        outcome = case_outcome(assertions, results)
        return EvalResult(
            case.key,
            repeat,
            answer.output,
            outcome.passed,
            outcome.score,
            tuple(MetricScore(a.metric, a.weight, r) for a, r in zip(assertions, results, strict=True)),
            answer.tool_calls,
            answer.latency_ms,
            None if cached else answer.cost_usd,  # a cached answer cost nothing this time
            answer.request_id,
            answer.trace_id,
            cached,
        )

    def _cost(self, answer: Answer) -> float | None:
        """The call's cost by the shipped price table (the request log's figure, priced by the server's own
        table, replaces it when the run is finished); None for a model without a price."""
        if answer.model is None:
            return None
        usage = Usage.from_openai(answer.usage)
        if usage is None:
            return None
        if answer.model not in self._price_memo:
            self._price_memo[answer.model] = self._prices.price_of(answer.model)
        price = self._price_memo[answer.model]
        return None if price is None else usd(price.cost_nano(usage))
