"""CPU per call of the Messages API's translation, in process (no server, no network).

    .venv/bin/python bench/gateway/messages_translation.py [--rounds 7] [--calls 20000]

What a call through `POST /v1/messages` costs beyond a chat completion: the Messages request (system, a user
turn, one tool) parsed and read into a chat body; a chat completion written back as a Message and serialised;
and a streamed answer of eighteen chat chunks (a word each, then the finish) written as Anthropic's events,
with the closing message_delta and message_stop. CPU time (`time.process_time`), median over rounds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import orjson

from rungway.domain.usage import Usage
from rungway.messages.answer import message_body
from rungway.messages.request import to_chat_body
from rungway.messages.stream import MessagesStream

BODY = orjson.dumps(
    {
        "model": "claude-sonnet",
        "max_tokens": 64,
        "system": "You are a concise assistant.",
        "messages": [{"role": "user", "content": "Summarise in one sentence why gateways meter tokens per request."}],
        "tools": [
            {
                "name": "get_weather",
                "description": "Weather for a city",
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            }
        ],
    }
)
TEXT = "Gateways meter tokens per request so that every team pays for what it uses and budgets hold"
WORDS = TEXT.split(" ")
USAGE = Usage(input=40, output=17)
COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": " ".join(WORDS)}, "finish_reason": "stop"}],
    "usage": USAGE.to_openai(),
}
CHUNKS = [
    {"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": " " + w}}]}
    for w in WORDS
] + [{"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}]


def request() -> None:
    to_chat_body(orjson.loads(BODY))


def answer() -> None:
    message_body("msg_1", "claude-sonnet", COMPLETION, USAGE)


def stream() -> None:
    translation = MessagesStream("msg_1", "claude-sonnet", 40)
    for chunk in CHUNKS:
        translation.chunk(chunk)
    translation.end(USAGE)


def cpu_us(work: Callable[[], None], calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        work()
    return (time.process_time() - start) / calls * 1e6


CASES: dict[str, Callable[[], None]] = {
    "request (Messages -> chat body)": request,
    "answer (chat.completion -> Message)": answer,
    "stream (18 chunks -> events)": stream,
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
    print(f"{'µs CPU per call (median of ' + str(args.rounds) + ' rounds)':<45} {'messages':>9}")
    medians = {name: round(statistics.median(values), 1) for name, values in results.items()}
    for name, value in medians.items():
        print(f"{name:<45} {value:>9.1f}")
    request_us, answer_us, stream_us = medians.values()
    print(f"non-streamed call total: {request_us + answer_us:.1f} µs; streamed call: {request_us + stream_us:.1f} µs")


if __name__ == "__main__":
    main()
