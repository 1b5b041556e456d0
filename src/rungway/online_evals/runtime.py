"""The online scoring step: a sample of a workload's matching calls is judged in the background.

    after the answer:  ... -> [online scoring: filter? draw? capped? -> queue.put_nowait] -> ... -> record
    in a worker:       Sample(output, input) -> scorer (deterministic inline; judge in process) -> Score -> BatchWriter

The step runs after the caller has its answer (an `after_call` step) and only decides and copies references: a
dictionary lookup for a workload without scorers; a few string comparisons and one random draw per scorer for
one with scorers. It never waits: a full queue drops the call, counted per workload and scorer
(`rungway_online_eval_calls_total{outcome="dropped"}`). `workers` tasks drain the queue, so at most that many
judgements run at once. A scorer that calls a model is skipped once the workload's spend today reaches its
daily cap (`outcome="capped"`, `rungway_online_eval_capped{workload}` 1); deterministic scorers cost nothing
and keep scoring. Each judgement is stored as an evaluation score (source "online") on the call's trace and
span; a scorer that could not judge (a judge failed) is counted as an error, not stored as a score.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from rungway.capability import CallContext, GatewayState, PipelineExtension
from rungway.domain.ids import new_id
from rungway.evals.public import Sample, Score, ScoreResult, ToolCall, score_case
from rungway.online_evals.book import LiveScorer, ScorerBook
from rungway.online_evals.model import CallFacts
from rungway.online_evals.models import METER, SpendMeter
from rungway.online_evals.store import ALL_CALLS
from rungway.store.writer import BatchWriter

__all__ = ["AUTHOR", "MAX_INPUT_CHARS", "OnlineRuntime", "ScoreJob", "sample_of"]

log = logging.getLogger("rungway.online_evals")

AUTHOR = "online-evals"
MAX_INPUT_CHARS = 16_000
MAX_COMMENT_CHARS = 1_000


@dataclass(slots=True)
class ScoreJob:
    """What one judgement needs, copied by reference from the call (its body and answer are never changed)."""

    live: LiveScorer
    workload: str
    hour: int
    messages: Any
    output: dict[str, Any]
    trace_id: str | None
    span_id: str | None
    request_id: str
    model: str | None
    latency_ms: float | None
    cost_nano: int


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: the text ones
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def sample_of(job: ScoreJob) -> Sample:
    """The scorer's view of the call: the answer's first choice, the last user message as `vars.input`."""
    choices = job.output.get("choices") or [{}]
    message = choices[0].get("message") if isinstance(choices[0], dict) else None
    message = message if isinstance(message, dict) else {}
    calls = tuple(
        ToolCall(str(c.get("function", {}).get("name", "")), str(c.get("function", {}).get("arguments", "{}")))
        for c in message.get("tool_calls") or ()
        if isinstance(c, dict)
    )
    user = ""
    if isinstance(job.messages, list):
        for item in reversed(job.messages):
            if isinstance(item, dict) and item.get("role") == "user":
                user = _text(item.get("content"))[:MAX_INPUT_CHARS]
                break
    return Sample(
        output=_text(message.get("content")),
        tool_calls=calls,
        vars={"input": user},
        latency_ms=job.latency_ms,
        cost_usd=job.cost_nano / 1e9,
        metadata={"model": job.model or "", "request_id": job.request_id},
    )


class OnlineRuntime:
    """Decides on the caller's path, scores off it; holds the queue, the workers, the writer and the metrics."""

    def __init__(
        self,
        book: ScorerBook,
        writer: BatchWriter[Score],
        registry: CollectorRegistry,
        *,
        queue_size: int,
        workers: int,
        timeout_s: float,
        rng: random.Random | None = None,
    ) -> None:
        self.book = book
        self.writer = writer
        self.queue: asyncio.Queue[ScoreJob] = asyncio.Queue(maxsize=queue_size)
        self._workers = workers
        self._timeout_s = timeout_s
        self._rng = rng or random.Random()
        self._tasks: list[asyncio.Task[None]] = []
        self._busy = 0
        self._children: dict[tuple[str, str, str], Any] = {}
        self.calls = Counter(
            "rungway_online_eval_calls",
            "Calls a workload's online scorers matched, by outcome: sampled, dropped (queue full), capped (daily "
            "cost cap reached), scored, error",
            ["workload", "scorer", "outcome"],
            registry=registry,
        )
        self.spend = Gauge(
            "rungway_online_eval_spend_usd",
            "Online scoring's judge and embedding spend today (UTC)",
            ["workload"],
            registry=registry,
        )
        self.capped_gauge = Gauge(
            "rungway_online_eval_capped",
            "1 while the workload's daily online scoring cost cap is reached (model-graded "
            "scorers stopped until the next UTC day)",
            ["workload"],
            registry=registry,
        )
        self.depth = Gauge("rungway_online_eval_queue_depth", "Sampled calls waiting to be scored", registry=registry)
        self.depth.set_function(self.queue.qsize)

    def count(self, workload: str, scorer: str, outcome: str) -> None:
        """`rungway_online_eval_calls_total` + 1 (the labelled child is looked up once per label set)."""
        key = (workload, scorer, outcome)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.calls.labels(workload, scorer, outcome)
        child.inc()

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing being scored (tests wait for it before reading the store)."""
        return self.queue.empty() and self._busy == 0

    def pipeline(self) -> PipelineExtension:
        book = self.book

        async def online_scoring(state: GatewayState, ctx: CallContext) -> None:
            live = book.live
            if not live or ctx.key is None:
                return
            scorers = live.get(ctx.key.workload)
            if scorers is not None:
                self.consider(ctx, ctx.key.workload, scorers)

        return PipelineExtension("online_evals", after_call=[online_scoring])

    def consider(self, ctx: CallContext, workload: str, scorers: tuple[LiveScorer, ...]) -> None:
        """Queue this call for each scorer whose filter it matches and whose draw it wins, while there is room."""
        if ctx.status != 200 or ctx.error is not None or ctx.client_closed or ctx.output is None or not ctx.chat:
            return
        model = ctx.plan.model if ctx.plan is not None else ctx.model_requested
        facts: CallFacts | None = None
        hour = int(time.time() // 3600)
        matched = False
        book = self.book
        for live in scorers:
            scorer = live.scorer
            if not live.every_call:
                if facts is None:
                    route = ctx.route
                    facts = CallFacts(
                        model,
                        ctx.endpoint,
                        route.name if route is not None else None,
                        ctx.prompt_name,
                        ctx.prompt_version,
                        ctx.tags,
                    )
                if not scorer.filter.matches(facts):
                    continue
            matched = True
            counts = book.counts(workload, scorer.id, hour)
            counts.matched += 1
            if self._rng.random() >= scorer.sample:
                continue
            counts.sampled += 1
            if live.spends and book.capped(workload):
                counts.capped += 1
                self.count(workload, scorer.name, "capped")
                self.capped_gauge.labels(workload).set(1)
                continue
            job = ScoreJob(
                live,
                workload,
                hour,
                ctx.body.get("messages"),
                ctx.output,
                ctx.trace_id,
                ctx.span_id,
                ctx.id,
                model,
                ctx.upstream_ms,
                ctx.cost_nano,
            )
            try:
                self.queue.put_nowait(job)
            except asyncio.QueueFull:
                counts.dropped += 1
                self.count(workload, scorer.name, "dropped")
                continue
            self.count(workload, scorer.name, "sampled")
        if matched:
            book.counts(workload, ALL_CALLS, hour).matched += 1

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._work(), name=f"rungway-online-scorer-{i}") for i in range(self._workers)]

    async def _work(self) -> None:
        while True:
            job = await self.queue.get()
            self._busy += 1
            try:
                await self._score(job)
            except Exception:
                log.exception("online scoring of %s by %s failed unexpectedly", job.request_id, job.live.scorer.name)
            finally:
                self._busy -= 1
                self.queue.task_done()

    async def _score(self, job: ScoreJob) -> None:
        scorer, workload, book = job.live.scorer, job.workload, self.book
        if job.live.spends:
            result = await self._judge(job)
            if result is None:
                return
        else:  # deterministic: pure, synchronous and cheap (the evals Scorer contract), no meter, no timeout
            found = job.live.assertion.scorer.score(sample_of(job))
            assert isinstance(found, ScoreResult)
            result = found
        counts = book.counts(workload, scorer.id, job.hour)
        if result.errored:
            counts.errors += 1
            self.count(workload, scorer.name, "error")
            return
        counts.scored += 1
        self.count(workload, scorer.name, "scored")
        self.writer.offer(self._record(job, result))

    async def _judge(self, job: ScoreJob) -> ScoreResult | None:
        """A model-graded judgement within the timeout, its spend metered; None when the cap was reached while
        the job waited."""
        scorer, workload, book = job.live.scorer, job.workload, self.book
        if book.capped(workload):
            book.counts(workload, scorer.id, job.hour).capped += 1
            self.count(workload, scorer.name, "capped")
            self.capped_gauge.labels(workload).set(1)
            return None
        assertion = job.live.assertion
        meter = SpendMeter()
        token = METER.set(meter)
        try:
            async with asyncio.timeout(self._timeout_s):
                return (await score_case((assertion,), sample_of(job)))[0]
        except TimeoutError:
            return ScoreResult(0.0, False, f"no judgement within {self._timeout_s:g}s", assertion.type, "1", True)
        finally:
            METER.reset(token)
            book.counts(workload, scorer.id, job.hour).cost_nano += meter.cost_nano
            if meter.cost_nano:
                self.spend.labels(workload).set(book.spent_nano(workload) / 1e9)
                self.capped_gauge.labels(workload).set(1 if book.capped(workload) else 0)

    def _record(self, job: ScoreJob, result: ScoreResult) -> Score:
        return Score(
            id=new_id("osc_"),
            workload=job.workload,
            name=job.live.scorer.name,
            data_type="numeric",
            value=result.value,
            string_value=None,
            source="online",
            author=AUTHOR,
            created_at=time.time(),
            trace_id=job.trace_id,
            span_id=job.span_id,
            comment=result.explanation[:MAX_COMMENT_CHARS] or None,
            scorer=result.scorer or job.live.assertion.type,
            scorer_version=result.version,
        )

    async def stop(self, grace_s: float = 5.0) -> None:
        """Let the queued judgements finish for up to `grace_s`, then cancel the workers."""
        if self._tasks:
            try:
                async with asyncio.timeout(grace_s):
                    await self.queue.join()
            except TimeoutError:
                log.warning("online scoring: %d sampled calls not scored at shutdown", self.queue.qsize())
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks = []
