"""CPU per call that the attempts executor adds to a call nobody routes (one deployment, one try), in process.

    .venv/bin/python bench/gateway/attempts_step.py [--rounds 9] [--calls 20000]

The call step of a JSON chat completion as it was before the executor (A: the provider called directly,
timed, the answer built) and as it is (B: `gateway/upstream.py call_chat` through `gateway/attempts.py
try_plan` with the core's single plan, plus what the record step now adds for it: the tries counted for
the request log and `rungway_upstream_attempts_total`). A third run (C) is B with one observer installed
(a capability that watches health: admit + finished per try). The provider is a stub answering a
prebuilt result, so only the gateway's own CPU is measured; rounds alternate A, B and C and the result
is the median of the per-round differences, so the machine's drift between rounds cancels out.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from rungway.domain.usage import Usage
from rungway.gateway.context import CallContext
from rungway.gateway.metrics import GatewayMetrics
from rungway.gateway.record import tries_sent
from rungway.gateway.responses import raw_json_response
from rungway.gateway.routing import Attempt, single_plan
from rungway.gateway.upstream import answer_headers, call_chat, upstream_headers
from rungway.providers.base import ChatCall, ChatResult
from rungway.settings.config import ModelRoute

DATA = {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini-2024-07-18", "choices": []}
RESULT = ChatResult(orjson.dumps(DATA), DATA, Usage(input=12, output=6))
ROUTE = ModelRoute(name="gpt-4o-mini", provider="stub", upstream_model="gpt-4o-mini-2024-07-18")
PLAN = single_plan(ROUTE)


class Stub:
    name = account = "stub"

    async def chat(self, call: ChatCall) -> ChatResult:
        return RESULT


class Watcher:
    def admit(self, deployment_name: str, now: float) -> bool:
        return True

    def finished(self, ctx: CallContext, attempt: Attempt) -> None:
        return None


@dataclass
class State:
    providers: dict[str, Any] = field(default_factory=lambda: {"stub": Stub()})
    attempt_observers: list[Any] = field(default_factory=list)
    metrics: GatewayMetrics = field(default_factory=lambda: GatewayMetrics(list))


async def before(state: State, ctx: CallContext) -> web.StreamResponse:
    """`call_chat` for JSON as it was before the executor."""
    assert ctx.provider is not None
    call = ChatCall(ctx.body, stream=ctx.stream, headers=upstream_headers(ctx))
    started = time.perf_counter()
    try:
        result = await ctx.provider.chat(call)
    finally:
        ctx.upstream_ms = (time.perf_counter() - started) * 1000
    ctx.usage = result.usage
    ctx.output = result.data
    return raw_json_response(result.body, headers=answer_headers(ctx))


async def after(state: State, ctx: CallContext) -> web.StreamResponse:
    response = await call_chat(state, ctx)  # type: ignore[arg-type]
    tries_sent(ctx.attempts)  # the request log's `attempts`
    for attempt in ctx.attempts:
        state.metrics.count_attempt(attempt.deployment.name, attempt.outcome)
    return response


Step = Callable[[State, CallContext], Coroutine[Any, Any, web.StreamResponse]]


async def per_call(step: Step, state: State, request: web.Request, calls: int) -> float:
    """CPU µs per call of `step` on a fresh, routed context."""
    started = time.process_time()
    for _ in range(calls):
        ctx = CallContext(request=request, endpoint="chat.completions", id="req_x", trace_id="0" * 32, span_id="0" * 16)
        ctx.body = {"model": "gpt-4o-mini-2024-07-18", "messages": [{"role": "user", "content": "hi"}]}
        ctx.plan, ctx.route, ctx.provider = PLAN, ROUTE, state.providers["stub"]
        await step(state, ctx)
    return (time.process_time() - started) / calls * 1e6


async def main(rounds: int, calls: int) -> None:
    request = make_mocked_request("POST", "/v1/chat/completions", headers={"Content-Type": "application/json"})
    plain, watched = State(), State(attempt_observers=[Watcher()])
    for step, state in ((before, plain), (after, plain), (after, watched)):
        await per_call(step, state, request, calls // 10)  # warm up
    a: list[float] = []
    b: list[float] = []
    c: list[float] = []
    for _ in range(rounds):
        a.append(await per_call(before, plain, request, calls))
        b.append(await per_call(after, plain, request, calls))
        c.append(await per_call(after, watched, request, calls))
    print(f"A before the executor:        median {statistics.median(a):.2f} µs CPU per call")
    print(f"B executor, single plan:      median {statistics.median(b):.2f} µs CPU per call")
    print(f"C B with one observer:        median {statistics.median(c):.2f} µs CPU per call")
    print(f"B - A (paired per round):     median {statistics.median(y - x for x, y in zip(a, b, strict=True)):+.2f} µs")
    print(f"C - A (paired per round):     median {statistics.median(y - x for x, y in zip(a, c, strict=True)):+.2f} µs")
    print(f"{rounds} rounds of {calls} calls each")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.calls))
