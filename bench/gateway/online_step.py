"""CPU that online scoring adds per gateway call, in process: the after-step, the worker and the score's insert.

    .venv/bin/python bench/gateway/online_step.py [--rounds 7] [--calls 100000]

The online-evals `after_call` step (`online_evals/runtime.py`) runs on every call after its answer is finished.
Measured per call in CPU time (`time.process_time`), each paired with an empty step awaited the same way in the
same round (the result is the median over rounds of step - empty): no scorer for the workload; a scorer whose
filter misses; a scorer that matches at sample 0.1 (the draw, and for one call in ten the copy into the queue,
emptied between batches). Then, per sampled call, off the caller's path: the worker's judgement with the
deterministic `length` scorer into the score writer's queue, and the batch insert of the score records into
SQLite (1,000 a batch, as the writer does). Per call at 10%: step + 0.1 x (worker + insert).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from typing import Any

from aiohttp.test_utils import make_mocked_request
from prometheus_client import CollectorRegistry
from sqlalchemy import create_engine

from rungway.evals.public import Score, ScorerContext, append_scores, scorer_from_spec
from rungway.gateway.context import CallContext
from rungway.gateway.routing import single_plan
from rungway.online_evals.book import LiveScorer, ScorerBook
from rungway.online_evals.config import OnlineEvalsConfig
from rungway.online_evals.model import CallFilter, OnlineScorer
from rungway.online_evals.runtime import OnlineRuntime
from rungway.settings.config import ModelRoute
from rungway.store.schema import metadata
from rungway.store.writer import BatchWriter


class _Key:
    workload = "bench"


def _live(sample: float, found: CallFilter) -> LiveScorer:
    spec: dict[str, Any] = {"type": "length", "value": {"max": 100000}}
    scorer = OnlineScorer("ons_bench", "bench", "short", spec, sample, found, "config", 0.0)
    return LiveScorer.of(scorer, scorer_from_spec(spec, where="bench"))


def _runtime(live: dict[str, tuple[LiveScorer, ...]]) -> OnlineRuntime:
    book = ScorerBook(engine=None, config=OnlineEvalsConfig(), context=ScorerContext())  # type: ignore[arg-type]
    book.live = live
    writer: BatchWriter[Score] = BatchWriter("bench", lambda batch: None, max_queue=10_000_000)
    return OnlineRuntime(book, writer, CollectorRegistry(), queue_size=10_000_000, workers=1, timeout_s=60,
                         rng=random.Random(1))  # fmt: skip


def _ctx() -> CallContext:
    ctx = CallContext(request=make_mocked_request("POST", "/v1/chat/completions"), endpoint="chat.completions",
                      id="req_x")  # fmt: skip
    route = ModelRoute("mock-model", "mock0", "gpt-4o-mini")
    ctx.key, ctx.route, ctx.plan, ctx.upstream_ms = _Key(), route, single_plan(route), 12.0  # type: ignore[assignment]
    ctx.model_requested = "mock-model"
    ctx.body = {"model": "mock-model", "messages": [{"role": "user", "content": "Summarise the plot of Hamlet."}]}
    ctx.output = {"choices": [{"message": {"role": "assistant", "content": "A prince avenges his father. " * 4}}]}
    ctx.trace_id, ctx.span_id = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
    return ctx


async def _empty(state: Any, ctx: CallContext) -> None:
    return None


async def per_call_us(step: Any, ctx: CallContext, calls: int, runtime: OnlineRuntime | None) -> float:
    start = time.process_time()
    for i in range(calls):
        await step(None, ctx)
        if runtime is not None and i % 1000 == 999:
            while not runtime.queue.empty():
                runtime.queue.get_nowait()
    return (time.process_time() - start) / calls * 1e6


async def worker_us(calls: int) -> tuple[float, list[Score]]:
    """The worker's judgement of one sampled call, through the writer's `offer` (kept, for the insert)."""
    runtime = _runtime({"bench": (_live(1.0, CallFilter()),)})
    kept: list[Score] = []
    runtime.writer.offer = kept.append  # type: ignore[method-assign]
    ctx = _ctx()
    runtime.consider(ctx, "bench", runtime.book.live["bench"])
    job = runtime.queue.get_nowait()
    start = time.process_time()
    for _ in range(calls):
        await runtime._score(job)
    return (time.process_time() - start) / calls * 1e6, kept


def insert_us(scores: list[Score]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/bench.db")
        metadata.create_all(engine)
        start = time.process_time()
        for i in range(0, len(scores), 1000):
            append_scores(engine, scores[i : i + 1000])
        spent = time.process_time() - start
        engine.dispose()
    return spent / len(scores) * 1e6


async def main(rounds: int, calls: int) -> None:
    cases = {
        "no scorer for the workload": _runtime({"other": (_live(0.1, CallFilter()),)}),
        "a scorer whose filter misses": _runtime({"bench": (_live(0.1, CallFilter(model="another-model")),)}),
        "a scorer at sample 0.1 (matches)": _runtime({"bench": (_live(0.1, CallFilter()),)}),
    }
    ctx = _ctx()
    added: dict[str, list[float]] = {name: [] for name in cases}
    work: list[float] = []
    store: list[float] = []
    for _ in range(rounds):
        for name, runtime in cases.items():
            step = runtime.pipeline().after_call[0]
            empty = await per_call_us(_empty, ctx, calls, None)
            added[name].append(await per_call_us(step, ctx, calls, runtime) - empty)
        spent, kept = await worker_us(calls // 10)
        work.append(spent)
        store.append(insert_us(kept))
    print(f"median of {rounds} rounds, {calls} calls each; CPU µs")
    print("| case | µs per call |\n|---|---|")
    for name, values in added.items():
        print(f"| after-step: {name} | {statistics.median(values):.2f} |")
    worker, insert = statistics.median(work), statistics.median(store)
    print(f"| worker, per sampled call (length scorer, Score, offer) | {worker:.2f} |")
    print(f"| SQLite insert, per score (batches of 1,000) | {insert:.2f} |")
    sampled = statistics.median(added["a scorer at sample 0.1 (matches)"])
    print(f"| **per call at 10%: step + 0.1 x (worker + insert)** | **{sampled + 0.1 * (worker + insert):.2f}** |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=100_000)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.calls))
