"""CPU per call of the legacy completions dialect's translation, in process (no server, no network).

    .venv/bin/python bench/gateway/completions_translation.py [--rounds 7] [--calls 20000]

What a `/v1/completions` call costs beyond a chat call: the request (JSON bytes) parsed and read into a
chat body; a JSON chat completion written as a `text_completion`; and a streamed answer of seventeen
text chunks (a word each), the finish and the usage chunk written as `text_completion` chunks, the usage
chunk and `[DONE]`. With `echo` too. CPU time (`time.process_time`), median over rounds; target < 50 µs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import orjson

from rungway.completions.answer import CompletionStream, text_completion
from rungway.completions.request import read_completion_request
from rungway.domain.usage import Usage

WORDS = [
    "Gateways",
    "meter",
    "tokens",
    "per",
    "request",
    "so",
    "that",
    "every",
    "team",
    "pays",
    "for",
    "what",
    "it",
    "uses",
    "and",
    "budgets",
    "hold",
]
REQUEST = orjson.dumps(
    {
        "model": "gpt-4o-mini",
        "prompt": "Summarise in one sentence why gateways meter tokens per request.",
        "max_tokens": 64,
        "temperature": 0.2,
        "stop": ["\n\n"],
        "user": "u-42",
    }
)
STREAMED = orjson.dumps({**orjson.loads(REQUEST), "stream": True, "stream_options": {"include_usage": True}})
COMPLETION = orjson.dumps(
    {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": " ".join(WORDS)}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 20, "completion_tokens": 17, "total_tokens": 37},
    }
)
HEAD = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini-2024-07-18"}
CHUNKS = [{**HEAD, "choices": [{"index": 0, "delta": {"content": " " + w}, "finish_reason": None}]} for w in WORDS] + [
    {**HEAD, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    {**HEAD, "choices": []},
]
USAGE = Usage(input=20, output=17)


def json_call(echo: bool) -> Callable[[], None]:
    raw = orjson.dumps({**orjson.loads(REQUEST), "echo": echo})

    def call() -> None:
        _chat, request = read_completion_request(orjson.loads(raw))
        text_completion(orjson.loads(COMPLETION), "req_01J0000000000000000000000", request.echo_prompt, "gpt-4o-mini")

    return call


def streamed_call() -> None:
    _chat, request = read_completion_request(orjson.loads(STREAMED))
    stream = CompletionStream("req_01J0000000000000000000000", "gpt-4o-mini", request.echo_prompt, True)
    for chunk in CHUNKS:  # the gateway hands the dialect parsed chunks (it parses them once for every step)
        stream.chunk(chunk)
    stream.end(USAGE)


def cpu_us(work: Callable[[], None], calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        work()
    return (time.process_time() - start) / calls * 1e6


CASES: dict[str, Callable[[], None]] = {
    "JSON call (request in + answer out)": json_call(echo=False),
    "JSON call with echo": json_call(echo=True),
    "streamed call (19 chunks + usage + DONE)": streamed_call,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args()
    results: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.rounds):
        for name, work in CASES.items():
            results[name].append(cpu_us(work, args.calls))
    print(f"{'µs CPU per call (median of ' + str(args.rounds) + ' rounds)':<44} {'median':>8} {'max':>8}")
    for name, runs in results.items():
        print(f"{name:<44} {statistics.median(runs):>8.1f} {max(runs):>8.1f}")


if __name__ == "__main__":
    main()
