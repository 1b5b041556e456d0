"""CPU per streamed call of the relay's per-chunk work, in process: every chunk parsed (what the openai adapter
and the relay do) against a lazy variant tried and rejected: chunks relayed as bytes after a byte scan for
usage/errors/choices, the answer assembled after the stream from one bulk parse of the kept chunks.

    .venv/bin/python bench/gateway/stream_chunk_cost.py [--words 24] [--calls 20000]
    PYTHONPATH=/path/to/another/tree/src .venv/bin/python bench/gateway/stream_chunk_cost.py   # that tree's code

It also times the SSE parsing of the same stream (`wire/sse.py`), read in one piece and a read per event.

The chunks are the ones bench/harness/mock_upstream.py streams (one word per chunk, usage in the last).
Only the work that differs is timed: the adapter's parse/scan, the chunk object, the relay's checks, the
SSE framing and the answer's assembly; the HTTP read and write around them are the same in both.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import orjson

from rungway.domain.usage import Usage
from rungway.gateway.responses import sse_event
from rungway.gateway.stream_output import StreamOutput
from rungway.providers.base import StreamChunk
from rungway.wire.sse import SseParser


def chunks(words: int) -> list[bytes]:
    head = {"id": "chatcmpl-mock", "created": 1764500000, "model": "gpt-4o-mini"}
    out = []
    for index in range(words):
        delta = {"content": (" " if index else "") + "word"}
        if index == 0:
            delta["role"] = "assistant"
        out.append(orjson.dumps({**head, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]}))
    usage = {"prompt_tokens": 12, "completion_tokens": words, "total_tokens": 12 + words}
    last = {"index": 0, "delta": {}, "finish_reason": "stop"}
    out.append(orjson.dumps({**head, "object": "chat.completion.chunk", "choices": [last], "usage": usage}))
    return out


def needs_parsing(raw: bytes) -> bool:
    """The lazy variant's scan: parse only a chunk that may carry usage or an error."""
    return b'"usage"' in raw or b'"error"' in raw or not (raw.startswith(b"{") and raw.endswith(b"}"))


def has_choices(raw: bytes) -> bool:
    return b'"choices":[{' in raw


def bulk_answer(first: dict[str, object], kept: list[bytes], output: StreamOutput) -> dict[str, object]:
    for data in orjson.loads(b"[" + b",".join(kept) + b"]"):
        output.add(data["choices"])
    return output.as_completion(first, None)


def parsed_call(raws: list[bytes]) -> dict[str, object]:
    output, pending, ttft = StreamOutput(), [], None
    first = None
    for raw in raws:
        data = orjson.loads(raw)
        usage = data.get("usage")
        chunk = StreamChunk(data, raw, Usage.from_openai(usage) if usage else None)
        first = first or chunk
        choices = chunk.data.get("choices")
        if choices:
            if ttft is None and output.add(choices):
                ttft = 1.0
            elif ttft is not None:
                output.add(choices)
            pending.append(sse_event(chunk.raw or b""))
    assert first is not None
    return output.as_completion(first.data, None)


def scanned_call(raws: list[bytes]) -> dict[str, object]:
    output, pending, ttft = StreamOutput(), [], None
    kept: list[bytes] = []
    first: dict[str, object] | None = None
    for raw in raws:
        if not needs_parsing(raw) and ttft is not None:
            if has_choices(raw):
                kept.append(raw)
                pending.append(sse_event(raw))
            continue
        data = orjson.loads(raw)
        usage = data.get("usage")
        chunk = StreamChunk(data, raw, Usage.from_openai(usage) if usage else None)
        first = first or chunk.data
        choices = chunk.data.get("choices")
        if choices:
            if ttft is None and output.add(choices):
                ttft = 1.0
            elif ttft is not None:
                kept.append(raw)
            pending.append(sse_event(raw))
    assert first is not None
    return bulk_answer(first, kept, output)


def cpu_us(call: Callable[[list[bytes]], object], raws: list[bytes], calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        call(raws)
    return (time.process_time() - started) / calls * 1e6


def sse_us(raws: list[bytes], calls: int, per_event: bool) -> float:
    events = [b"data: " + raw + b"\n\n" for raw in raws] + [b"data: [DONE]\n\n"]
    reads = events if per_event else [b"".join(events)]
    started = time.process_time()
    for _ in range(calls):
        parser = SseParser()
        for piece in reads:
            parser.feed(piece)
    return (time.process_time() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--words", type=int, default=24)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    raws = chunks(args.words)
    assert parsed_call(raws) == scanned_call(raws)
    for round_ in range(1, args.rounds + 1):  # interleaved, so a busy machine slows both alike
        before = cpu_us(parsed_call, raws, args.calls)
        after = cpu_us(scanned_call, raws, args.calls)
        print(
            f"round {round_}: every chunk parsed {before:.1f} µs/call, "
            f"byte scan + bulk parse after {after:.1f} µs/call ({after / before:.2f}x); "
            f"SSE parse {sse_us(raws, args.calls, False):.1f} µs/call in one read, "
            f"{sse_us(raws, args.calls, True):.1f} µs/call a read per event"
        )


if __name__ == "__main__":
    main()
