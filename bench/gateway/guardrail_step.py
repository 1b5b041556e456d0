"""CPU per call that guardrails add to the gateway, in process (no server, no network).

    .venv/bin/python bench/gateway/guardrail_step.py [--rounds 7] [--calls 2000]

Every built-in detector (pii, secrets, injection, terms with a 20-term list, output with max_chars and a
system prompt to watch for leaks) in one policy: the input step (`guardrails/steps.py` `filter_input`) on a
2 kB chat prompt that holds one e-mail to redact, and the answer guard (`guardrails/answers.py`) on a 2 kB
answer, whole (a JSON answer) and streamed in 4-character deltas (about 500 `feed` calls with a 256-character
look-behind). Each call's CPU time is taken with `time.thread_time_ns`; the figure is the median of the
rounds' p50 (and p95). The door's cost without a guard (`state.output_guard is None`, one attribute read and
a test per answer) is measured A/B against the same loop without the test, alternating in each round.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from rungway.gateway.context import CallContext
from rungway.gateway.output_guard import GuardedStream, guard_completion
from rungway.guardrails.answers import AnswerGuard
from rungway.guardrails.config import parse_guardrails
from rungway.guardrails.steps import CONFIG, filter_input

SYSTEM = "You are the support assistant of Example Bank. Never reveal account numbers or internal procedures."
_WORDS = (
    "our customers ask about card limits statements transfers fees and the mobile app so answer briefly "
    "with the steps they need and point them to the help centre when a branch visit is required "
)
PROMPT = ("Hello, I am writing about my account. Reach me at ann.example@example.org. " + _WORDS * 12)[:2048]
ANSWER = ("Thanks for your message. " + _WORDS * 12)[:2048]
TERMS = [f"forbidden-term-{i}" for i in range(20)]
POLICY = {
    "default": {
        "input": {
            "secrets": {"action": "block"},
            "pii": {"action": "redact", "restore": True},
            "injection": {"action": "block"},
            "terms": {"action": "block", "options": {"terms": TERMS}},
        },
        "output": {
            "secrets": {"action": "block"},
            "pii": {"action": "redact"},
            "terms": {"action": "block", "options": {"terms": TERMS}},
            "output": {"action": "flag", "options": {"max_chars": 8000, "system_prompt": SYSTEM}},
        },
    }
}


class _Slots(dict[Any, Any]):
    pass


class _State:
    def __init__(self, config: Any) -> None:
        self.slots = _Slots({CONFIG: config})
        self.output_guard: Any = None


class _Key:
    workload = "bench"


def _ctx() -> CallContext:
    ctx = CallContext(request=None, endpoint="chat.completions", id="req_x")  # type: ignore[arg-type]
    ctx.key = _Key()  # type: ignore[assignment]
    return ctx


def _body() -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}]}


def _p(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000


async def input_round(state: Any, calls: int) -> list[int]:
    times = []
    for _ in range(calls):
        ctx = _ctx()
        ctx.body = _body()
        start = time.thread_time_ns()
        await filter_input(state, ctx)
        times.append(time.thread_time_ns() - start)
    assert "[EMAIL_1]" in ctx.body["messages"][1]["content"]
    return times


def output_round(guard: AnswerGuard, calls: int) -> list[int]:
    times = []
    data = {"choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER}}]}
    for _ in range(calls):
        ctx = _ctx()
        start = time.thread_time_ns()
        guard_completion(guard, ctx, data, b"{}")
        times.append(time.thread_time_ns() - start)
    return times


def stream_round(guard: AnswerGuard, calls: int) -> list[int]:
    times = []
    deltas = [ANSWER[i : i + 4] for i in range(0, len(ANSWER), 4)]
    for _ in range(calls):
        ctx = _ctx()
        start = time.thread_time_ns()
        stream = GuardedStream(guard, ctx)
        for delta in deltas:
            choices = [{"index": 0, "delta": {"content": delta}, "finish_reason": None}]
            stream.chunk(choices, {"choices": choices})
        last = [{"index": 0, "delta": {}, "finish_reason": "stop"}]
        stream.chunk(last, {"choices": last})
        times.append(time.thread_time_ns() - start)
    return times


def door_ns(state: Any, calls: int) -> tuple[float, float]:
    """ns per answer of the no-guard test (A) and of the same loop without it (B)."""
    body = b"{}"
    start = time.thread_time_ns()
    for _ in range(calls):
        out = body
        if state.output_guard is not None:
            out = b""
    with_test = (time.thread_time_ns() - start) / calls
    start = time.thread_time_ns()
    for _ in range(calls):
        out = body
    without = (time.thread_time_ns() - start) / calls
    assert out is body
    return with_test, without


async def main(rounds: int, calls: int) -> None:
    config = parse_guardrails(POLICY)
    state = _State(config)
    guard = AnswerGuard(config)
    await input_round(state, 50)  # warm-up: compiled expressions, caches
    results: dict[str, list[tuple[float, float]]] = {"input": [], "output": [], "stream": []}
    doors = []
    for _ in range(rounds):
        for name, times in (
            ("input", await input_round(state, calls)),
            ("output", output_round(guard, calls)),
            ("stream", stream_round(guard, max(1, calls // 10))),
        ):
            results[name].append((_p(times, 0.5), _p(times, 0.95)))
        doors.append(door_ns(state, 1_000_000))
    print(f"2 kB prompt/answer, every built-in detector, {rounds} rounds of {calls} calls (stream: {calls // 10})")
    for name, label in (("input", "input step"), ("output", "JSON answer"), ("stream", "streamed answer")):
        p50 = statistics.median(r[0] for r in results[name])
        p95 = statistics.median(r[1] for r in results[name])
        print(f"  {label:16s} CPU per call: p50 {p50:8.1f} us   p95 {p95:8.1f} us")
    a = statistics.median(d[0] for d in doors)
    b = statistics.median(d[1] for d in doors)
    print(f"  door, no guard installed: {a - b:+.1f} ns per answer (loop with the test {a:.1f} ns, without {b:.1f} ns)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.calls))
