"""CPU per call of the gemini adapter's translation, in process (no server, no network).

    .venv/bin/python bench/gateway/gemini_translation.py [--rounds 7] [--calls 20000]

What a call through the `gemini` provider costs beyond the bytes on the wire: the OpenAI chat body
(a system and a user message, one function tool) translated to a Gemini request and serialised;
a Gemini answer parsed, translated to a chat.completion and serialised; and a streamed answer of
seventeen text events (a word each) plus the finish, each parsed and translated to a chunk and serialised. The same
three for the `anthropic` adapter run in the same rounds, interleaved, as the reference: both are
translating adapters doing the same work. CPU time (`time.process_time`), median over rounds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson

from rungway.providers import anthropic_wire, gemini_answer, gemini_wire

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]
BODY = orjson.dumps(
    {
        "model": "gemini-2.5-flash",
        "messages": [
            {"role": "system", "content": "You are a concise assistant."},
            {"role": "user", "content": "Summarise in one sentence why gateways meter tokens per request."},
        ],
        "max_tokens": 64,
        "tools": TOOLS,
    }
)
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
USAGE = {"promptTokenCount": 40, "cachedContentTokenCount": 0, "candidatesTokenCount": 17, "totalTokenCount": 57}
GEMINI_ANSWER = orjson.dumps(
    {
        "candidates": [{"content": {"role": "model", "parts": [{"text": " ".join(WORDS)}]}, "finishReason": "STOP"}],
        "usageMetadata": USAGE,
        "modelVersion": "gemini-2.5-flash",
        "responseId": "abc123",
    }
)
GEMINI_EVENTS = [
    orjson.dumps({"candidates": [{"content": {"role": "model", "parts": [{"text": " " + w}]}}], "responseId": "a"})
    for w in WORDS
] + [orjson.dumps({"candidates": [{"content": {"parts": []}, "finishReason": "STOP"}], "usageMetadata": USAGE})]
CLAUDE_USAGE = {"input_tokens": 40, "output_tokens": 17}
CLAUDE_ANSWER = orjson.dumps(
    {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude",
        "content": [{"type": "text", "text": " ".join(WORDS)}],
        "stop_reason": "end_turn",
        "usage": CLAUDE_USAGE,
    }
)
CLAUDE_EVENTS = [
    orjson.dumps({"type": "message_start", "message": {"id": "msg_1", "model": "claude", "usage": CLAUDE_USAGE}}),
    orjson.dumps({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    *[
        orjson.dumps({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " " + w}})
        for w in WORDS
    ],
    orjson.dumps({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 17}}),
    orjson.dumps({"type": "message_stop"}),
]


def gemini_request() -> None:
    request = gemini_wire.to_gemini_request(orjson.loads(BODY))
    orjson.dumps(request.body)


def gemini_answer_call() -> None:
    data, _ = gemini_answer.to_chat_completion(orjson.loads(GEMINI_ANSWER), "gemini", 0)
    orjson.dumps(data)


def gemini_stream() -> None:
    translator = gemini_answer.StreamTranslator("gemini", 0)
    for raw in GEMINI_EVENTS:
        for chunk in translator.translate(orjson.loads(raw)):
            orjson.dumps(chunk)
    orjson.dumps(translator.usage_chunk())


def claude_request() -> None:
    request = anthropic_wire.to_messages_request(orjson.loads(BODY), 4096)
    orjson.dumps(request.body)


def claude_answer_call() -> None:
    data, _ = anthropic_wire.to_chat_completion(orjson.loads(CLAUDE_ANSWER), None, 0)
    orjson.dumps(data)


def claude_stream() -> None:
    translator = anthropic_wire.StreamTranslator(None, 0, "claude")
    for raw in CLAUDE_EVENTS:
        for chunk in translator.translate(orjson.loads(raw)):
            orjson.dumps(chunk)


def cpu_us(work: Callable[[], None], calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        work()
    return (time.process_time() - start) / calls * 1e6


CASES: dict[str, tuple[Callable[[], None], Callable[[], None]]] = {
    "request (OpenAI -> upstream)": (gemini_request, claude_request),
    "answer (upstream -> chat.completion)": (gemini_answer_call, claude_answer_call),
    "stream (18 events -> chunks + usage)": (gemini_stream, claude_stream),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args()
    results: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in CASES}
    for _ in range(args.rounds):
        for name, (gemini, claude) in CASES.items():
            results[name][0].append(cpu_us(gemini, args.calls))
            results[name][1].append(cpu_us(claude, args.calls))
    print(f"{'µs CPU per call (median of ' + str(args.rounds) + ' rounds)':<40} {'gemini':>8} {'anthropic':>10}")
    for name, (gemini_us, claude_us) in results.items():
        print(f"{name:<40} {statistics.median(gemini_us):>8.1f} {statistics.median(claude_us):>10.1f}")
    extra: Any = [round(statistics.median(r[0]), 1) for r in results.values()]
    print(f"gemini non-streamed call total: {extra[0] + extra[1]:.1f} µs; streamed call: {extra[0] + extra[2]:.1f} µs")


if __name__ == "__main__":
    main()
