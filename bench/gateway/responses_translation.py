"""CPU per call of the Responses API's translation, in process (no server, no network).

    .venv/bin/python bench/gateway/responses_translation.py [--rounds 7] [--calls 20000]

What a call through `POST /v1/responses` costs beyond a chat completion: the request (instructions, a user
turn, one function tool) validated and read into a chat body; the same with `previous_response_id`, its
ten stored items read from this replica's memory and put in front; a chat completion written back as a
response object and serialised (kept in memory, as `store` does by default, the batch writer's queue
included); and a streamed answer of eighteen chat chunks (a word each, then the finish) written as the
Responses API's typed events, with the closing events and response.completed. CPU time
(`time.process_time`), median over rounds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson
import sqlalchemy as sa

from rungway.domain.usage import Usage
from rungway.responses.answer import output_items, response_object, status_of
from rungway.responses.config import ResponsesConfig
from rungway.responses.model import StoredResponse
from rungway.responses.request import chat_body, parse_request
from rungway.responses.runtime import ResponsesRuntime
from rungway.responses.store import ResponseWrite
from rungway.responses.stream import ResponsesStream
from rungway.store.writer import BatchWriter

TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
BODY = orjson.dumps(
    {
        "model": "gpt-4o-mini",
        "instructions": "You are a concise assistant.",
        "input": "Summarise in one sentence why gateways meter tokens per request.",
        "max_output_tokens": 64,
        "tools": [TOOL],
    }
)
FOLLOW_UP = orjson.dumps({"model": "gpt-4o-mini", "input": "And budgets?", "previous_response_id": "resp_prev"})
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
COMPLETION = orjson.dumps(
    {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-4o-mini",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": " ".join(WORDS)}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 40, "completion_tokens": 17, "total_tokens": 57},
    }
)
CHUNKS = [
    orjson.dumps({"choices": [{"index": 0, "delta": {"content": " " + w}, "finish_reason": None}]}) for w in WORDS
] + [orjson.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})]
USAGE = Usage(input=40, output=17)


def runtime() -> ResponsesRuntime:
    writer: BatchWriter[ResponseWrite] = BatchWriter("bench", lambda batch: None, max_queue=1)  # never started
    rt = ResponsesRuntime(sa.create_engine("sqlite://"), ResponsesConfig(), writer)
    history: list[dict[str, Any]] = [
        {"type": "message", "id": f"msg_prev_i{i}", "role": "user", "content": [{"type": "input_text", "text": w}]}
        for i, w in enumerate(WORDS[:9])
    ]
    rt.keep(StoredResponse("resp_prev", "w", time.time(), history, {"output": output_items("prev", {"content": "x"})}))
    return rt


RUNTIME = runtime()


def request() -> None:
    parsed = parse_request(orjson.loads(BODY), "b", 1000)
    orjson.dumps(chat_body(parsed, parsed.items))


def follow_up() -> None:
    parsed = parse_request(orjson.loads(FOLLOW_UP), "b", 1000)
    previous = RUNTIME.memory.get("w", "resp_prev")
    assert previous is not None
    RUNTIME.check_chain(previous, len(parsed.items))
    orjson.dumps(chat_body(parsed, [*previous.input_items, *previous.output_items, *parsed.items]))


ECHO = parse_request(orjson.loads(BODY), "b", 1000).echo


def answer() -> None:
    data = orjson.loads(COMPLETION)
    choice = data["choices"][0]
    response = response_object(
        "resp_b",
        1.0,
        "gpt-4o-mini",
        ECHO,
        output_items("b", choice["message"]),
        status=status_of(choice["finish_reason"]),
        usage=USAGE,
        store=True,
    )
    RUNTIME.keep(StoredResponse("resp_b", "w", time.time(), [], response))
    orjson.dumps(response)


def stream() -> None:
    translation = ResponsesStream("resp_b", "b", 1.0, "gpt-4o-mini", ECHO, True, lambda response: None)
    for raw in CHUNKS:
        translation.chunk(orjson.loads(raw))
    translation.end(USAGE)


def cpu_us(work: Callable[[], None], calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        work()
    return (time.process_time() - start) / calls * 1e6


CASES: dict[str, Callable[[], None]] = {
    "request (Responses -> chat body)": request,
    "request with previous_response_id": follow_up,
    "answer (chat.completion -> response)": answer,
    "stream (18 chunks -> typed events)": stream,
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
    print(f"{'µs CPU per call (median of ' + str(args.rounds) + ' rounds)':<42} {'responses':>10}")
    medians = {name: statistics.median(values) for name, values in results.items()}
    for name, value in medians.items():
        print(f"{name:<42} {value:>10.1f}")
    first, _, json_answer, streamed = medians.values()
    print(f"non-streamed call total: {first + json_answer:.1f} µs; streamed call: {first + streamed:.1f} µs")


if __name__ == "__main__":
    main()
