"""CPU per call that the shadow step adds on the caller's path for calls it does not shadow, in process.

    .venv/bin/python bench/gateway/shadow_step.py [--rounds 7] [--calls 200000]

The models capability's `after_call` step (`models/shadow/runtime.py`) runs on every call after its
answer is finished. For a call it does not shadow it only decides; this measures that decision, per
call, in CPU time (`time.process_time`), for: no shadow run anywhere (the common case), a run for
another workload, and a run for this workload whose sample missed (sample 1e-9: a random draw, then
out). Each is paired with an empty step awaited the same way, in the same round; the result is the
median over rounds of (step - empty step), so the await and the loop cancel out. What it leaves out:
a shadowed call (a task, a copy of the body and B's call, all off the caller's path).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from aiohttp.test_utils import make_mocked_request

from rungway.gateway.context import CallContext
from rungway.gateway.routing import single_plan
from rungway.models.shadow.book import ShadowBook
from rungway.models.shadow.config import ShadowConfig
from rungway.models.shadow.model import ShadowRun
from rungway.models.shadow.runtime import ShadowRuntime
from rungway.settings.config import ModelRoute


class _Key:
    workload = "bench"


def _runtime(runs: dict[str, ShadowRun]) -> Any:
    book = ShadowBook(engine=None, config=ShadowConfig())  # type: ignore[arg-type]  # never loads
    book.runs = runs
    runtime = ShadowRuntime(book, writer=None, calls=None, timeout_s=60)  # type: ignore[arg-type]
    return runtime.pipeline().after_call[0]


def _ctx() -> CallContext:
    request = make_mocked_request("POST", "/v1/chat/completions")
    ctx = CallContext(request=request, endpoint="chat.completions", id="req_x")
    route = ModelRoute("gpt-4o-mini", "sim", "gpt-4o-mini-2024-07-18")
    ctx.key, ctx.route, ctx.plan, ctx.upstream_ms = _Key(), route, single_plan(route), 12.0  # type: ignore[assignment]
    return ctx


async def _empty(state: Any, ctx: CallContext) -> None:
    return None


async def per_call_us(step: Any, ctx: CallContext, calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        await step(None, ctx)
    return (time.process_time() - start) / calls * 1e6


def run_of(workload: str, sample: float) -> ShadowRun:
    return ShadowRun("shr_bench", workload, "gpt-4o-mini", "gpt-4o", sample, 4, 0.0)


async def main(rounds: int, calls: int) -> None:
    cases = {
        "no shadow run": _runtime({}),
        "a run for another workload": _runtime({"other": run_of("other", 1.0)}),
        "a run for this workload, not sampled": _runtime({"bench": run_of("bench", 1e-9)}),
    }
    ctx = _ctx()
    added: dict[str, list[float]] = {name: [] for name in cases}
    raw: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, step in cases.items():
            empty = await per_call_us(_empty, ctx, calls)
            with_step = await per_call_us(step, ctx, calls)
            raw[name].append(with_step)
            added[name].append(with_step - empty)
    print(f"{rounds} rounds x {calls} calls; CPU µs per call (median over rounds)")
    for name in cases:
        print(f"  {name:40s} step {statistics.median(raw[name]):6.3f}  added over an empty step "
              f"{statistics.median(added[name]):6.3f}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=200_000)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.calls))
