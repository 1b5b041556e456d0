"""The core's output-guard door with a fake guard of the test's own (no capability): JSON answers rewritten
only when the guard changes them, the recorded text kept apart from the client's, blocks raised, and streamed
choices rewritten chunk by chunk with the held tail released at the finish reason."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from rungway.errors import InvalidRequest
from rungway.gateway.context import CallContext
from rungway.gateway.output_guard import GuardedStream, GuardVerdict, StreamGuard, guard_completion


class Upper:
    """Sends upper case, records lower case, refuses "stop"; streams hold back the last character."""

    def check(self, ctx: CallContext, text: str) -> GuardVerdict:
        if "stop" in text:
            return GuardVerdict(blocked=InvalidRequest("refused", code="output_blocked"))
        return GuardVerdict(text.upper(), recorded=text.lower())

    def open_stream(self, ctx: CallContext) -> StreamGuard | None:
        return HoldLast() if ctx.endpoint == "chat.completions" else None


class HoldLast:
    def __init__(self) -> None:
        self.held = ""
        self.seen = ""

    def feed(self, delta: str) -> GuardVerdict:
        text = self.held + delta
        self.seen += delta
        if "stop" in self.seen:
            return GuardVerdict(blocked=InvalidRequest("refused", code="output_blocked"))
        self.held = text[-1:]
        return GuardVerdict(text[:-1].upper(), recorded=text[:-1])

    def close(self) -> GuardVerdict:
        held, self.held = self.held, ""
        return GuardVerdict(held.upper(), recorded=held)


def _ctx(endpoint: str = "chat.completions") -> CallContext:
    return CallContext(request=None, endpoint=endpoint, id="req_x")  # type: ignore[arg-type]


def _answer(content: str | None) -> dict[str, Any]:
    return {"id": "c1", "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}


def test_a_json_answer_goes_to_the_client_as_the_guard_says_and_is_recorded_as_it_says() -> None:
    data = _answer("Hello There")
    body = asyncio.run(guard_completion(Upper(), _ctx(), data, orjson.dumps(data)))
    assert orjson.loads(body)["choices"][0]["message"]["content"] == "HELLO THERE"
    assert data["choices"][0]["message"]["content"] == "hello there"


def test_an_unchanged_or_empty_answer_keeps_the_upstreams_bytes() -> None:
    data = _answer(None)
    raw = b'{"the": "upstream bytes"}'
    assert asyncio.run(guard_completion(Upper(), _ctx(), data, raw)) is raw


def test_a_blocked_answer_raises_the_guards_error() -> None:
    with pytest.raises(InvalidRequest, match="refused"):
        asyncio.run(guard_completion(Upper(), _ctx(), _answer("please stop"), b"{}"))


def _chunk(content: str | None, finish: str | None = None) -> dict[str, Any]:
    delta = {"content": content} if content is not None else {}
    return {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def test_a_stream_is_rewritten_chunk_by_chunk_and_the_tail_released_at_the_finish() -> None:
    stream = GuardedStream(Upper(), _ctx())
    sent, kept = [], []
    for data in (_chunk("ab"), _chunk("cd"), _chunk(None, "stop")):
        out = stream.chunk(data["choices"], data)
        assert out is not None
        sent.append(orjson.loads(out)["choices"][0]["delta"]["content"])
        kept.append(data["choices"][0]["delta"]["content"])
    assert sent == ["A", "BC", "D"] and kept == ["a", "bc", "d"]
    assert stream.tails({"id": "c1"}) is None


def test_a_stream_cut_before_its_finish_releases_the_held_text_as_a_last_chunk() -> None:
    stream = GuardedStream(Upper(), _ctx())
    data = _chunk("xyz")
    stream.chunk(data["choices"], data)
    tail = stream.tails({"id": "c1", "model": "m"})
    assert tail is not None
    assert orjson.loads(tail[0])["choices"][0]["delta"]["content"] == "Z"
    assert tail[1]["choices"][0]["delta"]["content"] == "z"


def test_a_block_mid_stream_raises_and_a_guard_with_nothing_to_check_disables_itself() -> None:
    stream = GuardedStream(Upper(), _ctx())
    first, second = _chunk("sto"), _chunk("p now")
    stream.chunk(first["choices"], first)
    with pytest.raises(InvalidRequest):
        stream.chunk(second["choices"], second)
    unguarded = GuardedStream(Upper(), _ctx("embeddings"))
    data = _chunk("abc")
    assert unguarded.chunk(data["choices"], data) is None and unguarded.disabled
