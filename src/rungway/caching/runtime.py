"""The cache a server runs: the lookup before the upstream call, the store after it, the refresh between replicas.

`lookup` (a before-call step) decides whether the call may use the cache (its workload is cached, `n` is 1,
it samples no hotter than the workload allows, it offers no tools unless the workload says so, its
`Cache-Control` lets it), then asks the exact layer (memory, then Redis) and, on a miss, the semantic layer.
A hit sets `ctx.replay`: the call step answers from it, as JSON or a stream, in the endpoint's own shape.
`remember` (an after-call step) keeps a fresh, successful answer that the plan's first deployment gave: in
memory, in Redis, in the store (batch writer) and, with a semantic layer, in the index. Every answer carries
`x-rungway-cache: hit | miss | bypass` (and the similarity of a semantic hit).
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from prometheus_client import Counter

from rungway.caching.cache_control import CallCachePolicy, parse_cache_control
from rungway.caching.config import CacheConfig, WorkloadCache
from rungway.caching.hit_checks import HitChecker
from rungway.caching.key import exact_key, prompt_text, strict_hash
from rungway.caching.model import CacheEntry, Layer, SemanticState
from rungway.caching.semantic import SemanticLayer, vector_bytes
from rungway.caching.store import entries_stored_since, live_entries
from rungway.caching.tiers import MemoryTier, RedisTier
from rungway.domain.usage import Usage
from rungway.gateway.context import CallContext
from rungway.gateway.slots import CallKey, StateKey
from rungway.gateway.state import GatewayState
from rungway.providers.base import ChatResult
from rungway.store.writer import BatchWriter

__all__ = ["CACHE", "CACHE_HEADER", "CacheRuntime", "Pending"]

log = logging.getLogger("rungway.caching")

CACHE_HEADER = "x-rungway-cache"
SIMILARITY_HEADER = "x-rungway-cache-similarity"
REFRESH_BATCH = 5_000
KNOWN_IDS = 1_000_000


@dataclass(frozen=True, slots=True)
class Pending:
    """A call that missed: what its answer is kept under, once it has one."""

    workload: str
    policy: WorkloadCache
    key: str
    model: str
    strict_hash: str
    prompt_chars: int
    store: bool
    vector: np.ndarray | None = None


PENDING = CallKey[Pending]("caching.pending")
CACHE = StateKey["CacheRuntime"]("caching.runtime")
"""Where the server keeps its cache (`state.slots[CACHE]`), for the management routes and pages."""


def _bypass_reason(ctx: CallContext, policy: WorkloadCache) -> str | None:
    body = ctx.body
    n = body.get("n")
    if isinstance(n, int) and not isinstance(n, bool) and n > 1:
        return "n"
    temperature = body.get("temperature")
    if (
        isinstance(temperature, int | float)
        and not isinstance(temperature, bool)
        and temperature > policy.max_temperature
    ):
        return "temperature"
    if body.get("tools") and not policy.tools:
        return "tools"
    return None


class CacheRuntime:
    """The tiers, the semantic layer and the per-workload semantic states, shared by the steps."""

    def __init__(
        self,
        state: GatewayState,
        config: CacheConfig,
        writer: BatchWriter[CacheEntry],
        redis: RedisTier | None,
        registry: Any,
    ) -> None:
        self.state = state
        self.config = config
        self.writer = writer
        self.redis = redis
        self.memory = MemoryTier(int(config.memory_mb * 2**20))
        sizes = [w.semantic.max_entries for w in config.workloads.values() if w.semantic is not None]
        self.semantic = SemanticLayer(state, max_entries=max(sizes, default=100_000))
        self.states: dict[str, SemanticState] = {}
        self._known: dict[int, None] = {}  # entry ids already kept (insertion-ordered, bounded)
        self._watermark = 0.0
        self.lookups = Counter(
            "rungway_cache_lookups", "Cache lookups by workload, layer and result", ["workload", "layer", "result"],
            registry=registry,
        )  # fmt: skip
        self.saved = Counter(
            "rungway_cache_saved_usd", "Upstream cost avoided by cache hits", ["workload", "layer"], registry=registry
        )
        self.checker: HitChecker | None = None  # set when a workload checks its semantic hits (`hit_checks.py`)
        # Metric children by labels: `labels()` validates and locks on every call (~2 µs each on a hit's path);
        # bounded, as the labels are configured workloads, layers and results.
        self._children: dict[tuple[object, ...], Any] = {}

    def _count(self, metric: Counter, labels: tuple[str, ...], amount: float = 1.0) -> None:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        child.inc(amount)

    # -- the steps -------------------------------------------------------------------------------------
    async def lookup(self, state: GatewayState, ctx: CallContext) -> None:
        if not ctx.chat or ctx.key is None:
            return
        workload = ctx.key.workload
        policy = self.config.workloads.get(workload)
        if policy is None or ctx.plan is None or not ctx.plan.deployments:
            return
        call = parse_cache_control(ctx.request.headers.get("Cache-Control"))
        reason = _bypass_reason(ctx, policy) or (None if call.read or call.store else "no-store")
        if reason is not None:
            ctx.answer_headers[CACHE_HEADER] = "bypass"
            self._count(self.lookups, (workload, "exact", "bypass"))
            return
        model = ctx.plan.deployments[0].upstream_model
        key = exact_key(workload, model, ctx.body)
        if policy.semantic is not None:  # what a strict semantic hit compares; an exact-only workload skips it
            guard, chars = strict_hash(ctx.body), len(prompt_text(ctx.body))
            pending = Pending(workload, policy, key, model, guard, chars, call.store)
        else:
            pending = Pending(workload, policy, key, model, "", 0, call.store)
        now = time.time()
        if call.read and await self._exact(ctx, pending, call, now):
            return
        semantic = policy.semantic
        if semantic is not None and not self._paused(workload):
            text = prompt_text(ctx.body)
            embedding = await self.semantic.embed(semantic.embedding_model, text)
            if embedding is not None:
                ctx.side_cost_nano += embedding.cost_nano
                pending = Pending(**{**_fields(pending), "vector": embedding.vector})
                if call.read and await self._similar(ctx, pending, call, now, embedding.vector):
                    return
        ctx.answer_headers[CACHE_HEADER] = "miss" if call.read else "bypass"
        self._count(self.lookups, (workload, "all", "miss" if call.read else "bypass"))
        ctx.slots[PENDING] = pending

    async def remember(self, state: GatewayState, ctx: CallContext) -> None:
        pending = ctx.slots.pop(PENDING)
        if pending is None or not pending.store or ctx.replay is not None:
            return
        if ctx.error is not None or ctx.status != 200 or ctx.client_closed or ctx.output is None:
            return
        plan = ctx.plan
        if plan is None or ctx.route is not plan.deployments[0]:  # failed over: another model's answer
            return
        now = time.time()
        semantic = pending.policy.semantic
        entry = CacheEntry(
            id=random.getrandbits(63),
            namespace=pending.workload,
            key=pending.key,
            model=pending.model,
            created_at=now,
            expires_at=now + pending.policy.ttl_s,
            answer=orjson.dumps(ctx.output),
            tokens_in=ctx.usage.input if ctx.usage is not None else 0,
            tokens_out=ctx.usage.output if ctx.usage is not None else 0,
            tokens_cached=ctx.usage.cached_input if ctx.usage is not None else 0,
            cost_nano=max(0, ctx.cost_nano - ctx.side_cost_nano),
            strict_hash=pending.strict_hash,
            prompt_chars=pending.prompt_chars,
            embedding_model=semantic.embedding_model if semantic is not None and pending.vector is not None else None,
            vector=vector_bytes(pending.vector) if pending.vector is not None else None,
            request_id=ctx.id,
        )
        self._keep(entry)
        self.writer.offer(entry)
        if self.redis is not None:
            await self.redis.put(entry, pending.policy.ttl_s)

    # -- layers ----------------------------------------------------------------------------------------
    async def _exact(self, ctx: CallContext, pending: Pending, call: CallCachePolicy, now: float) -> bool:
        entry = self.memory.get(pending.workload, pending.key)
        if entry is not None and entry.expires_at <= now:
            self.memory.discard(pending.workload, pending.key)
            entry = None
        if entry is None and self.redis is not None:
            entry = await self.redis.get(pending.workload, pending.key)
            if entry is not None:
                self.memory.put(entry)
        if entry is None or entry.expires_at <= now or not _fresh(entry, call, now):
            return False
        self._hit(ctx, pending.workload, "exact", entry, None)
        return True

    async def _similar(
        self, ctx: CallContext, pending: Pending, call: CallCachePolicy, now: float, vector: np.ndarray
    ) -> bool:
        semantic = pending.policy.semantic
        assert semantic is not None
        found = self.semantic.search(
            pending.workload,
            semantic.embedding_model,
            vector,
            threshold=self.threshold(pending.workload, semantic.threshold),
            strict=semantic.strict,
            model=pending.model,
            strict_hash=pending.strict_hash,
            prompt_chars=pending.prompt_chars,
            now=now,
            max_age_s=call.max_age_s,
        )
        if found is None:
            return False
        facts, similarity = found
        entry = self.memory.get(pending.workload, facts.key)
        if entry is None and self.redis is not None:
            entry = await self.redis.get(pending.workload, facts.key)
        if entry is None or entry.expires_at <= now:
            return False
        self._hit(ctx, pending.workload, "semantic", entry, similarity)
        if self.checker is not None:
            self.checker.consider(ctx, entry, similarity)
        return True

    def _hit(self, ctx: CallContext, workload: str, layer: Layer, entry: CacheEntry, similarity: float | None) -> None:
        data = orjson.loads(entry.answer)
        ctx.replay = ChatResult(entry.answer, data, Usage(entry.tokens_in, entry.tokens_out, entry.tokens_cached))
        ctx.cache = layer
        ctx.cache_similarity = similarity
        ctx.cost_saved_nano = entry.cost_nano
        ctx.answer_headers[CACHE_HEADER] = "hit"
        if similarity is not None:
            ctx.answer_headers[SIMILARITY_HEADER] = f"{similarity:.4f}"
        self._count(self.lookups, (workload, layer, "hit"))
        if entry.cost_nano:
            self._count(self.saved, (workload, layer), entry.cost_nano / 1e9)

    # -- semantic states -------------------------------------------------------------------------------
    def _paused(self, workload: str) -> bool:
        state = self.states.get(workload)
        return state is not None and state.paused

    def threshold(self, workload: str, configured: float) -> float:
        state = self.states.get(workload)
        return state.threshold if state is not None and state.threshold is not None else configured

    # -- the shared store ------------------------------------------------------------------------------
    def _keep(self, entry: CacheEntry) -> None:
        if entry.id in self._known:
            return
        self._known[entry.id] = None
        self.memory.put(entry)
        policy = self.config.workloads.get(entry.namespace)
        if (
            policy is not None
            and policy.semantic is not None
            and entry.embedding_model == policy.semantic.embedding_model
        ):
            self.semantic.add(entry.namespace, entry)

    def load(self) -> int:
        """At start: the newest live entries of the cached workloads, up to what memory holds (oldest first in)."""
        now = time.time()
        limit = max(1, self.memory.max_bytes // 2048)
        entries = [e for e in live_entries(self.state.engine, now, limit) if e.namespace in self.config.workloads]
        for entry in reversed(entries):
            self._keep(entry)
        self._watermark = now - 1.0
        return len(entries)

    def refresh(self) -> int:
        """What any replica stored since the last refresh (runs in a thread: reads the store)."""
        now = time.time()
        entries, newest = entries_stored_since(self.state.engine, self._watermark, now, REFRESH_BATCH)
        fresh = 0
        for entry in entries:
            if entry.namespace in self.config.workloads and entry.id not in self._known:
                self._keep(entry)
                fresh += 1
        self._watermark = newest
        if len(self._known) > KNOWN_IDS:  # bounded: the oldest half forgotten (a refresh reads only recent rows)
            self._known = dict.fromkeys(list(self._known)[KNOWN_IDS // 2 :])
        return fresh

    def forget_workload(self, workload: str) -> int:
        self.semantic.drop(workload)
        return self.memory.drop_namespace(workload)


def _fresh(entry: CacheEntry, call: CallCachePolicy, now: float) -> bool:
    return call.max_age_s is None or now - entry.created_at <= call.max_age_s


def _fields(pending: Pending) -> dict[str, Any]:
    return {name: getattr(pending, name) for name in Pending.__dataclass_fields__}
