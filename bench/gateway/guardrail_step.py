"""CPU per call that guardrails add to the gateway, in process (no server, no network).

    .venv/bin/python bench/gateway/guardrail_step.py [--rounds 7] [--calls 2000]

A/B against another tree (e.g. main checked out with `git worktree add ../before main`), same script:

    PYTHONPATH=../before/src .venv/bin/python bench/gateway/guardrail_step.py

Every built-in detector (pii, secrets, injection, terms with a 20-term list, output with max_chars and a
system prompt to watch for leaks) in one policy: the input step (`guardrails/steps.py` `filter_input`) on a
2 kB chat prompt that holds one e-mail to redact, and the answer guard (`guardrails/answers.py`) on a 2 kB
answer, whole (a JSON answer) and streamed in 4-character deltas (about 500 `feed` calls with a 256-character
look-behind). Each call's CPU time is taken with `time.thread_time_ns`; the figure is the median of the
rounds' p50 (and p95). The door's cost without a guard (`state.output_guard is None`, one attribute read and
a test per answer) is measured A/B against the same loop without the test, alternating in each round.
The same three figures for the gateway benchmark's own call (bench/harness/chat.lua's small body and
bench/gateway/rungway-guardrails.yaml's policy, a 16-word answer), and each detector's p50 CPU per scan on
the 2 kB prompt, the one figure the issue's target names (all built-ins under 1 ms p50).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

import yaml

from rungway.gateway.context import CallContext
from rungway.gateway.output_guard import GuardedStream, guard_completion
from rungway.guardrails.answers import AnswerGuard
from rungway.guardrails.config import GuardrailsConfig, parse_guardrails
from rungway.guardrails.public import detector
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


BENCH_YAML = Path(__file__).with_name("rungway-guardrails.yaml")
BENCH_SYSTEM = "You are a concise assistant."
BENCH_PROMPT = "Summarise in one sentence why gateways meter tokens per request."
BENCH_ANSWER = "Gateways meter tokens per request so that every team sees its own cost and limits hold for each call."
DETECTORS = {  # on the 2 kB prompt: as configured above (the output detector as on the output side)
    "pii": lambda: detector("pii"),
    "secrets": lambda: detector("secrets"),
    "injection": lambda: detector("injection"),
    "terms (20)": lambda: detector("terms", terms=TERMS),
    "output": lambda: detector("output", max_chars=8000, system_prompt=SYSTEM),
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


def _bench_body() -> dict[str, Any]:
    return {
        "model": "mock-model",
        "messages": [{"role": "system", "content": BENCH_SYSTEM}, {"role": "user", "content": BENCH_PROMPT}],
        "max_tokens": 64,
    }


async def input_round(state: Any, calls: int, body: Any = _body) -> list[int]:
    times = []
    for _ in range(calls):
        ctx = _ctx()
        ctx.body = body()
        start = time.thread_time_ns()
        await filter_input(state, ctx)
        times.append(time.thread_time_ns() - start)
    assert body is not _body or "[EMAIL_1]" in ctx.body["messages"][1]["content"]
    return times


async def output_round(guard: AnswerGuard, calls: int, answer: str = ANSWER) -> list[int]:
    times = []
    for _ in range(calls):
        data = {"choices": [{"index": 0, "message": {"role": "assistant", "content": answer}}]}
        ctx = _ctx()
        start = time.thread_time_ns()
        await guard_completion(guard, ctx, data, b"{}")
        times.append(time.thread_time_ns() - start)
    return times


def detector_round(scan: Any, calls: int) -> list[int]:
    times = []
    for _ in range(calls):
        start = time.thread_time_ns()
        scan(PROMPT)
        times.append(time.thread_time_ns() - start)
    return times


def stream_round(guard: AnswerGuard, calls: int, answer: str = ANSWER) -> list[int]:
    times = []
    deltas = [answer[i : i + 4] for i in range(0, len(answer), 4)]
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


def _median(rows: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)


async def main(rounds: int, calls: int) -> None:
    config = parse_guardrails(POLICY)
    bench_config: GuardrailsConfig = parse_guardrails(yaml.safe_load(BENCH_YAML.read_text())["guardrails"])
    state, bench_state = _State(config), _State(bench_config)
    guard, bench_guard = AnswerGuard(config), AnswerGuard(bench_config)
    detectors = {name: make().scan for name, make in DETECTORS.items()}
    await input_round(state, 50)  # warm-up: compiled expressions, caches
    results: dict[str, list[tuple[float, float]]] = {}
    doors = []
    for _ in range(rounds):
        measured = {
            "input": await input_round(state, calls),
            "output": await output_round(guard, calls),
            "stream": stream_round(guard, max(1, calls // 10)),
            "bench input": await input_round(bench_state, calls, _bench_body),
            "bench output": await output_round(bench_guard, calls, BENCH_ANSWER),
            "bench stream": stream_round(bench_guard, calls, BENCH_ANSWER),
        }
        for name, scan in detectors.items():
            measured[f"detector {name}"] = detector_round(scan, calls)
        for name, times in measured.items():
            results.setdefault(name, []).append((_p(times, 0.5), _p(times, 0.95)))
        doors.append(door_ns(state, 1_000_000))
    print(f"every built-in detector, {rounds} rounds of {calls} calls (2 kB stream: {calls // 10}); CPU per call")
    labels = {
        "input": "2 kB prompt: input step",
        "output": "2 kB answer: JSON",
        "stream": "2 kB answer: streamed",
        "bench input": "bench body: input step",
        "bench output": "bench body: JSON answer",
        "bench stream": "bench body: streamed",
    }
    for name, rows in results.items():
        p50, p95 = _median(rows)
        label = labels.get(name, f"2 kB prompt: {name}")
        print(f"  {label:34s} p50 {p50:8.1f} us   p95 {p95:8.1f} us")
    total = sum(_median(rows)[0] for name, rows in results.items() if name.startswith("detector "))
    print(f"  {'2 kB prompt: sum of detector p50s':34s}     {total:8.1f} us")
    a = statistics.median(d[0] for d in doors)
    b = statistics.median(d[1] for d in doors)
    print(f"  door, no guard installed: {a - b:+.1f} ns per answer (loop with the test {a:.1f} ns, without {b:.1f} ns)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.calls))
