"""The shadow step: a sample of a workload's successful calls to model A is sent again, to model B, in the background.

    after the answer:  meter cost -> settle limits -> [shadow: sample? room? -> task] -> ... -> record
    in a task:         B's call (same body, B's upstream model) -> usage, cost -> agreement -> BatchWriter

The step runs after the caller has its answer (an `after_call` step) and only decides and schedules: a
dictionary lookup for a workload without a run, one random draw for one with a run. It never awaits
B, so the request log's latency of the primary is the primary's own. B's answer never reaches the
caller; B's cost is computed with the shipped prices and recorded on the shadow result, not metered to
the workload's budget or its request log. At most `max_in_flight` shadow calls per workload run at
once; a sampled call past that is dropped and counted (`rungway_shadow_calls_total{outcome="dropped"}`
and the run's `dropped`).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter

from rungway.capability import CallContext, GatewayState, PipelineExtension
from rungway.domain.ids import new_id
from rungway.domain.usage import Usage
from rungway.errors import RungwayError
from rungway.gateway.meter import usage_ceiling
from rungway.gateway.stream_output import StreamOutput
from rungway.models.shadow.book import ShadowBook
from rungway.models.shadow.model import ShadowResult, ShadowRun
from rungway.models.shadow.quality import agreement, answer_of
from rungway.providers.base import ChatCall, Provider
from rungway.settings.config import ModelRoute
from rungway.store.writer import BatchWriter

__all__ = ["ShadowRuntime"]

log = logging.getLogger("rungway.models.shadow")
_CHAT = "chat.completions"


@dataclass(slots=True)
class _Job:
    """What one shadow call needs: the run, the primary's call (read, never changed) and B's deployment."""

    run: ShadowRun
    ctx: CallContext
    target: ModelRoute
    provider: Provider
    body: dict[str, Any]


class ShadowRuntime:
    """Decides on the caller's path, shadows off it; holds the tasks in flight, the writer and the counters."""

    def __init__(
        self,
        book: ShadowBook,
        writer: BatchWriter[ShadowResult],
        calls: Counter,
        timeout_s: float,
        rng: random.Random | None = None,
    ) -> None:
        self.book = book
        self.writer = writer
        self._calls = calls
        self._timeout_s = timeout_s
        self._rng = rng or random.Random()
        self._in_flight: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def in_flight(self) -> int:
        """Shadow calls not finished yet (tests wait for 0 before reading the store)."""
        return len(self._tasks)

    def pipeline(self) -> PipelineExtension:
        book = self.book

        async def shadow_call(state: GatewayState, ctx: CallContext) -> None:
            runs = book.runs
            if not runs or ctx.key is None:
                return
            run = runs.get(ctx.key.workload)
            if run is not None:
                self.consider(state, ctx, run)

        return PipelineExtension("models.shadow", after_call=[shadow_call])

    def consider(self, state: GatewayState, ctx: CallContext, run: ShadowRun) -> None:
        """Shadow this call when it is a successful chat call to A, sampled, and there is room."""
        route = ctx.route
        if ctx.status != 200 or ctx.error is not None or ctx.client_closed or ctx.upstream_ms is None or route is None:
            return
        if ctx.endpoint != _CHAT:
            return
        model = ctx.plan.model if ctx.plan is not None else route.name
        if run.from_model != model and run.from_model != route.name:
            return
        if run.ends_at is not None and time.time() >= run.ends_at:
            return
        if self._rng.random() >= run.sample:
            return
        workload = run.workload
        running = self._in_flight.get(workload, 0)
        if running >= run.max_in_flight:
            self._calls.labels(workload, "dropped").inc()
            self.book.note_dropped(run.id)
            return
        target = state.config.models.get(run.to_model)
        provider = state.providers.get(target.provider) if target is not None else None
        if target is None or provider is None:
            self._calls.labels(workload, "unroutable").inc()
            return
        job = _Job(run, ctx, target, provider, {**ctx.body, "model": target.upstream_model})
        self._in_flight[workload] = running + 1
        self._calls.labels(workload, "sent").inc()
        task = asyncio.get_running_loop().create_task(self._shadow(state, job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _shadow(self, state: GatewayState, job: _Job) -> None:
        try:
            result = await self._call_b(state, job)
            self.writer.offer(result)
            self._calls.labels(job.run.workload, "error" if result.b_error else "ok").inc()
        except Exception:
            log.exception("shadow call of run %s failed unexpectedly", job.run.id)
        finally:
            self._in_flight[job.run.workload] -= 1

    async def _call_b(self, state: GatewayState, job: _Job) -> ShadowResult:
        started = time.perf_counter()
        completion: dict[str, Any] | None = None
        usage: Usage | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self._timeout_s):
                completion, usage = await _ask(job, self._timeout_s)
        except RungwayError as exc:
            error = f"{exc.error_type}: {exc.message}"
        except TimeoutError:
            error = f"timeout: no answer within {self._timeout_s:g}s"
        latency = (time.perf_counter() - started) * 1000
        ctx = job.ctx
        a_usage = ctx.usage or Usage()
        b_usage = Usage()
        cost, priced = 0, False
        if usage is not None:
            b_usage = usage.bounded(*usage_ceiling(ctx, state.config.limits.max_call_tokens))
            price = state.prices.get(job.target.name) or state.config.price_of(job.target)
            if price is not None:
                cost, priced = price.cost_nano(b_usage), True
        measures = agreement(answer_of(ctx.output), answer_of(completion)) if error is None else None
        return ShadowResult(
            id=new_id("shd_"),
            run_id=job.run.id,
            workload=job.run.workload,
            request_id=ctx.id,
            ts=time.time(),
            stream=ctx.stream,
            a_latency_ms=round(ctx.upstream_ms or 0.0, 3),
            b_latency_ms=round(latency, 3) if error is None else None,
            a_tokens_in=a_usage.input,
            a_tokens_out=a_usage.output,
            b_tokens_in=b_usage.input,
            b_tokens_out=b_usage.output,
            a_cost_nano=ctx.cost_nano,
            b_cost_nano=cost,
            a_priced=ctx.priced,
            b_priced=priced,
            b_error=error[:256] if error is not None else None,
            exact_match=measures.exact_match if measures else None,
            token_f1=measures.token_f1 if measures else None,
            rouge_l=measures.rouge_l if measures else None,
            json_valid=measures.json_valid if measures else None,
            tool_names_equal=measures.tool_names_equal if measures else None,
        )

    async def stop(self, grace_s: float = 5.0) -> None:
        """Let the shadow calls in flight finish for up to `grace_s`, then cancel the rest."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


async def _ask(job: _Job, timeout_s: float) -> tuple[dict[str, Any], Usage | None]:
    """B's answer to the primary's body, as a `chat.completion` (a stream assembled), and its usage."""
    call = ChatCall(job.body, stream=job.ctx.stream, timeout_s=timeout_s)
    if not job.ctx.stream:
        result = await job.provider.chat(call)
        return result.data, result.usage
    output = StreamOutput()
    first: dict[str, Any] | None = None
    usage: Usage | None = None
    chunks = job.provider.chat_stream(call)
    try:
        async for chunk in chunks:
            first = first if first is not None else chunk.data
            if chunk.usage is not None:
                usage = chunk.usage
            choices = chunk.data.get("choices")
            if choices:
                output.add(choices)
    finally:  # a timeout or a cancel at shutdown ends the upstream stream too
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()
    return output.as_completion(first or {}, usage), usage
