"""The after-call step on its own: the sampling rate is respected (statistically), the filter decides which calls
count, a full queue drops and counts (never blocks), the cap stops model-graded scorers only, and the worker turns
a call into a scorer's sample."""

from __future__ import annotations

import asyncio
import math
import random
from typing import Any, cast

from prometheus_client import CollectorRegistry

from rungway.evals.public import Score, ScorerContext, scorer_from_spec
from rungway.gateway.context import CallContext
from rungway.online_evals.book import LiveScorer, ScorerBook
from rungway.online_evals.config import OnlineEvalsConfig
from rungway.online_evals.model import CallFilter, OnlineScorer
from rungway.online_evals.models import GatewayModels
from rungway.online_evals.runtime import OnlineRuntime, ScoreJob, sample_of
from rungway.online_evals.store import ALL_CALLS
from rungway.store.writer import BatchWriter


def _live(name: str, spec: dict[str, Any], sample: float, found: CallFilter | None = None) -> LiveScorer:
    context = ScorerContext(models=cast(GatewayModels, object()), judge_model="gpt-4o-mini")
    scorer = OnlineScorer(f"id-{name}", "test", name, spec, sample, found or CallFilter(), "api", 0.0)
    return LiveScorer.of(scorer, scorer_from_spec(spec, where="test", context=context))


def _runtime(queue_size: int = 100_000, cap: float = 1.0) -> tuple[OnlineRuntime, CollectorRegistry]:
    config = OnlineEvalsConfig(daily_cost_cap_usd=cap)
    book = ScorerBook(cast(Any, None), config, ScorerContext())
    registry = CollectorRegistry()
    writer: BatchWriter[Score] = BatchWriter("test", lambda batch: None)
    runtime = OnlineRuntime(
        book, writer, registry, queue_size=queue_size, workers=1, timeout_s=5, rng=random.Random(20261130)
    )
    return runtime, registry


def _call(model: str = "gpt-4o", **changes: Any) -> CallContext:
    ctx = CallContext(request=cast(Any, None), endpoint="chat.completions", id="req_1")
    ctx.model_requested = model
    ctx.body = {
        "model": model,
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "What is 2+2?"}],
    }
    ctx.output = {"choices": [{"message": {"role": "assistant", "content": "4"}}]}
    ctx.trace_id, ctx.span_id = "a" * 32, "b" * 16
    for key, value in changes.items():
        setattr(ctx, key, value)
    return ctx


def _metric(registry: CollectorRegistry, outcome: str, scorer: str = "short") -> float:
    value = registry.get_sample_value(
        "rungway_online_eval_calls_total", {"workload": "test", "scorer": scorer, "outcome": outcome}
    )
    return value or 0.0


def test_the_sampling_rate_is_respected_statistically() -> None:
    async def run() -> None:
        runtime, _ = _runtime()
        live = (_live("short", {"type": "length", "value": {"max": 100}}, 0.1),)
        calls = 20_000
        for _ in range(calls):
            runtime.consider(_call(), "test", live)
        sampled = runtime.queue.qsize()
        expected, spread = calls * 0.1, math.sqrt(calls * 0.1 * 0.9)
        assert abs(sampled - expected) < 4 * spread, sampled  # within 4 standard deviations
        hour = next(iter(runtime.book.pending))[2]
        counts = runtime.book.pending[("test", "id-short", hour)]
        assert (counts.matched, counts.sampled, counts.dropped) == (calls, sampled, 0)
        assert runtime.book.pending[("test", ALL_CALLS, hour)].matched == calls

    asyncio.run(run())


def test_only_calls_the_filter_matches_are_counted_and_sampled() -> None:
    async def run() -> None:
        runtime, _ = _runtime()
        live = (
            _live(
                "short",
                {"type": "length", "value": {"max": 100}},
                1.0,
                CallFilter(model="gpt-4o", tags={"tier": "gold"}),
            ),
        )
        runtime.consider(_call("gpt-4o", tags={"tier": "gold"}), "test", live)
        runtime.consider(_call("gpt-4o", tags={"tier": "free"}), "test", live)
        runtime.consider(_call("gpt-4o-mini", tags={"tier": "gold"}), "test", live)
        runtime.consider(_call("gpt-4o", tags={"tier": "gold"}, status=500), "test", live)  # failed: never judged
        assert runtime.queue.qsize() == 1
        matched = {scorer: c.matched for (_, scorer, _), c in runtime.book.pending.items()}
        assert matched == {"id-short": 1, ALL_CALLS: 1}

    asyncio.run(run())


def test_a_full_queue_drops_the_sample_and_counts_it() -> None:
    async def run() -> None:
        runtime, registry = _runtime(queue_size=2)
        live = (_live("short", {"type": "length", "value": {"max": 100}}, 1.0),)
        for _ in range(5):
            runtime.consider(_call(), "test", live)  # never blocks: no worker is running
        assert runtime.queue.qsize() == 2
        assert _metric(registry, "sampled") == 2 and _metric(registry, "dropped") == 3
        counts = next(c for (w, s, h), c in runtime.book.pending.items() if s == "id-short")
        assert counts.dropped == 3 and counts.sampled == 5

    asyncio.run(run())


def test_the_cap_stops_model_graded_scorers_but_not_deterministic_ones() -> None:
    async def run() -> None:
        runtime, registry = _runtime(cap=0.0)  # spent 0 >= cap 0: capped from the start
        judge = _live("helpful", {"type": "llm-rubric", "value": "is helpful"}, 1.0)
        short = _live("short", {"type": "length", "value": {"max": 100}}, 1.0)
        runtime.consider(_call(), "test", (judge, short))
        assert runtime.queue.qsize() == 1 and runtime.queue.get_nowait().live is short
        assert _metric(registry, "capped", "helpful") == 1
        assert registry.get_sample_value("rungway_online_eval_capped", {"workload": "test"}) == 1

    asyncio.run(run())


def test_a_sample_carries_the_answer_and_the_last_user_message() -> None:
    live = _live("short", {"type": "length", "value": {"max": 100}}, 1.0)
    ctx = _call()
    job = ScoreJob(
        live,
        "test",
        0,
        ctx.body["messages"],
        cast(dict[str, Any], ctx.output),
        ctx.trace_id,
        ctx.span_id,
        ctx.id,
        "gpt-4o",
        12.5,
        3000,
    )
    sample = sample_of(job)
    assert (sample.output, sample.vars["input"], sample.latency_ms) == ("4", "What is 2+2?", 12.5)
    assert sample.cost_usd == 3e-6 and sample.metadata["request_id"] == "req_1"
