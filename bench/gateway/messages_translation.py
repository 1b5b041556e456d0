"""CPU per call of the Messages API's translation, in process (no server, no network).

    .venv/bin/python bench/gateway/messages_translation.py [--rounds 7] [--calls 20000]

What a call through `POST /v1/messages` costs beyond a chat completion: the Messages request (system, a user
turn, one tool) parsed and read into a chat body; a chat completion written back as a Message and serialised;
and a streamed answer of eighteen chat chunks (a word each, then the finish) written as Anthropic's events,
with the closing message_delta and message_stop. CPU time (`time.process_time`), median over rounds.

And the same call sent natively to Anthropic (`gateway/native.py`): the request is still read into a chat body
(the checks read it), Anthropic's answer is read as chat for the records and written back with the gateway's
id and model, and each of a stream's events (parsed once by the adapter) is read as chat chunks and relayed
as it came, the message_start rewritten.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson

from rungway.capability import NativeEvent
from rungway.domain.usage import Usage
from rungway.gateway.context import CallContext
from rungway.messages.answer import message_body
from rungway.messages.dialect import MESSAGE, MessagesCall, MessagesDialect
from rungway.messages.request import to_chat_body
from rungway.messages.stream import MessagesStream
from rungway.providers.anthropic_wire import StreamTranslator, to_chat_completion
from rungway.providers.base import StreamChunk

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


ANTHROPIC_USAGE = {"input_tokens": 40, "output_tokens": 17}
MESSAGE_JSON = orjson.dumps(
    {"id": "msg_up", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "stop_reason": "end_turn",
     "stop_sequence": None, "content": [{"type": "text", "text": TEXT}], "usage": ANTHROPIC_USAGE}
)  # fmt: skip
EVENTS: list[dict[str, Any]] = [
    {"type": "message_start", "message": {**orjson.loads(MESSAGE_JSON), "content": [], "stop_reason": None}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "ping"},
    *({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " " + w}} for w in WORDS),
    {"type": "content_block_stop", "index": 0},
    {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": 17},
    },
    {"type": "message_stop"},
]
EVENTS_RAW = [(str(event["type"]), orjson.dumps(event)) for event in EVENTS]
DIALECT = MessagesDialect()
CTX = CallContext(request=None, endpoint="messages", id="req_1")  # type: ignore[arg-type]
CTX.slots[MESSAGE] = MessagesCall("claude-sonnet", "msg_1")


def native_answer() -> None:
    data = orjson.loads(MESSAGE_JSON)  # the adapter's one parse
    to_chat_completion(data, None, 0)
    DIALECT.native_answer(CTX, data)


def native_stream() -> None:
    translator = StreamTranslator(None, 0, "claude-sonnet-4-5")
    for name, raw in EVENTS_RAW:
        data = orjson.loads(raw)  # the adapter's one parse per event
        DIALECT.native_event(CTX, NativeEvent(name, raw, data, [StreamChunk(c) for c in translator.translate(data)]))


def cpu_us(work: Callable[[], None], calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        work()
    return (time.process_time() - start) / calls * 1e6


CASES: dict[str, Callable[[], None]] = {
    "request (Messages -> chat body)": request,
    "answer (chat.completion -> Message)": answer,
    "stream (18 chunks -> events)": stream,
    "native answer (Anthropic JSON -> client)": native_answer,
    "native stream (22 events relayed)": native_stream,
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
    request_us, answer_us, stream_us, native_us, native_stream_us = medians.values()
    print(f"non-streamed call total: {request_us + answer_us:.1f} µs; streamed call: {request_us + stream_us:.1f} µs")
    print(
        f"native to Anthropic: non-streamed {request_us + native_us:.1f} µs;"
        f" streamed {request_us + native_stream_us:.1f} µs (with the adapter's parse, which a translated call pays too)"
    )


if __name__ == "__main__":
    main()
