"""Semantic hits, measured: a sample is re-asked upstream in the background and the answers compared.

A semantic hit serves an answer written for another prompt; whether that was right is measured, not assumed.
With `semantic.check` set, a share (`sample`) of a workload's semantic hits is queued (bounded: past it a
check is dropped and counted) and, off the request path and within the workload's daily cost cap, the call is
sent again to the deployment it would have gone to; the fresh answer and the cached one are compared by an
evaluation scorer (`assert`, default `similar` at 0.85 with the workload's embedding model; `expected` is the
cached answer). Each check is stored (`cache_hit_checks`); the workload's hit precision is the share that
passed since its semantic layer last changed. Past `min_checks` and under `min_precision`, the layer acts:
`raise_threshold` (by 0.02, up to 0.99, then pause) or `pause`, stored for every replica, with an alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from rungway.alerts.public import AlertEvent, alerts_of
from rungway.caching.config import CacheConfig, HitCheckPolicy
from rungway.caching.model import CacheEntry, HitCheck, SemanticState
from rungway.caching.store import precision, save_semantic_state
from rungway.domain.ids import new_id
from rungway.errors import RungwayError
from rungway.evals.public import Sample, ScorerContext, score_case, scorer_from_spec
from rungway.gateway.context import CallContext
from rungway.gateway.state import GatewayState
from rungway.online_evals.public import METER, GatewayModels, SpendMeter
from rungway.providers.base import ChatCall
from rungway.settings.config import ModelRoute
from rungway.store.writer import BatchWriter

__all__ = ["QUEUE_SIZE", "HitChecker"]

log = logging.getLogger("rungway.caching")

QUEUE_SIZE = 1_000
THRESHOLD_STEP = 0.02
MAX_THRESHOLD = 0.99


@dataclass(frozen=True, slots=True)
class _Job:
    workload: str
    policy: HitCheckPolicy
    embedding_model: str
    route: ModelRoute
    body: dict[str, Any]
    cached: str
    entry_id: int
    similarity: float
    request_id: str


def _answer_text(data: Any) -> str:
    try:
        message = data["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        return ""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str) and content:
        return content
    return orjson.dumps(message.get("tool_calls") or []).decode() if isinstance(message, dict) else ""


class HitChecker:
    """The sample, the queue, the worker, the daily spend and the precision rule."""

    def __init__(
        self,
        state: GatewayState,
        config: CacheConfig,
        writer: BatchWriter[HitCheck],
        states: Callable[[], dict[str, SemanticState]],
        set_state: Callable[[SemanticState], None],
        timeout_s: float = 60.0,
    ) -> None:
        self._state = state
        self._config = config
        self._writer = writer
        self._states = states
        self._set_state = set_state
        self._queue: asyncio.Queue[_Job] = asyncio.Queue(QUEUE_SIZE)
        self._models = GatewayModels(state, timeout_s)
        self._timeout_s = timeout_s
        self._spent: dict[tuple[str, int], int] = {}  # (workload, UTC day) -> nano-dollars spent checking
        self.dropped = 0
        self.capped = 0
        self.busy = 0

    @property
    def idle(self) -> bool:
        return self._queue.empty() and not self.busy

    def consider(self, ctx: CallContext, entry: CacheEntry, similarity: float) -> None:
        """A semantic hit was served: queue a check of it if sampled and the day's cap allows (no I/O)."""
        workload = entry.namespace
        cached = self._config.workloads.get(workload)
        semantic = cached.semantic if cached is not None else None
        if semantic is None or semantic.check is None or ctx.plan is None:
            return
        policy = semantic.check
        if random.random() >= policy.sample:
            return
        if self._spent.get((workload, _day()), 0) >= policy.daily_cost_usd * 1e9:
            self.capped += 1
            return
        route = ctx.plan.deployments[0]
        body = {k: v for k, v in ctx.body.items() if k not in ("stream", "stream_options")}
        body["model"] = route.upstream_model
        job = _Job(workload, policy, semantic.embedding_model, route, body, _answer_text(orjson.loads(entry.answer)),
                   entry.id, similarity, ctx.id)  # fmt: skip
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            self.dropped += 1

    async def run(self) -> None:
        """The worker (a `Background` task): one check at a time, so checks never crowd the gateway's calls."""
        while True:
            job = await self._queue.get()
            self.busy += 1
            try:
                await self._check(job)
            except Exception:
                log.exception("cache: checking a semantic hit of %s failed", job.workload)
            finally:
                self.busy -= 1

    async def _check(self, job: _Job) -> None:
        provider = self._state.providers.get(job.route.provider)
        if provider is None:
            return
        meter = SpendMeter()
        token = METER.set(meter)
        try:
            try:
                result = await provider.chat(ChatCall(job.body, timeout_s=self._timeout_s))
            except RungwayError as exc:
                log.info("cache: re-asking a semantic hit of %s failed: %s", job.workload, exc.message)
                return
            price = self._state.prices.get(job.route.name)
            if price is not None and result.usage is not None:
                meter.cost_nano += price.cost_nano(result.usage)
            context = ScorerContext(models=self._models, embedding_model=job.embedding_model)
            assertion = scorer_from_spec(job.policy.spec, where=f"cache.workloads.{job.workload}.semantic.check.assert",
                                         context=context)  # fmt: skip
            fresh = _answer_text(result.data)
            [outcome] = await score_case([assertion], Sample(output=fresh, expected=job.cached))
        finally:
            METER.reset(token)
            key = (job.workload, _day())
            self._spent[key] = self._spent.get(key, 0) + meter.cost_nano
        check = HitCheck(
            id=new_id("chk_"), ts=time.time(), workload=job.workload, request_id=job.request_id, entry_id=job.entry_id,
            similarity=job.similarity, score=outcome.value, passed=outcome.passed and not outcome.errored,
            cost_nano=meter.cost_nano, reason=outcome.explanation[:500],
        )  # fmt: skip
        self._writer.offer(check)
        await asyncio.to_thread(self._writer.flush, 10)
        await self._judge(job)

    async def _judge(self, job: _Job) -> None:
        """Act on the workload's precision since its semantic layer last changed."""
        current = self._states().get(job.workload)
        since = current.changed_at if current is not None else 0.0
        counts = await asyncio.to_thread(precision, self._state.engine, [job.workload], since)
        checked, passed = counts.get(job.workload, (0, 0))
        policy = job.policy
        if checked < policy.min_checks or passed / checked >= policy.min_precision:
            return
        cached = self._config.workloads[job.workload]
        assert cached.semantic is not None
        threshold = (
            current.threshold if current is not None and current.threshold is not None else cached.semantic.threshold
        )
        measured = f"hit precision {passed}/{checked} = {passed / checked:.2f} under {policy.min_precision:g}"
        if policy.on_low_precision == "raise_threshold" and threshold + THRESHOLD_STEP <= MAX_THRESHOLD + 1e-9:
            new = SemanticState(job.workload, round(threshold + THRESHOLD_STEP, 4), False, time.time(),
                                f"{measured}: threshold raised from {threshold:g}")  # fmt: skip
        else:
            new = SemanticState(job.workload, threshold, True, time.time(), f"{measured}: semantic layer paused")
        await asyncio.to_thread(save_semantic_state, self._state.engine, new)
        self._set_state(new)
        log.warning("cache: %s: %s", job.workload, new.reason)
        alerts = alerts_of(self._state.slots)
        if alerts is not None:
            payload = {"workload": job.workload, "threshold": new.threshold, "paused": new.paused, "reason": new.reason,
                       "checked": checked, "passed": passed}  # fmt: skip
            event = AlertEvent("cache.semantic_precision_low", f"cache:{job.workload}:{new.changed_at:.0f}", payload)
            with contextlib.suppress(RungwayError):
                await alerts.send(event, claim_ttl_s=3600)


def _day() -> int:
    return int(time.time() // 86400)
