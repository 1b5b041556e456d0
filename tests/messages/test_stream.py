"""Chat chunks written as Anthropic's event sequence: blocks, deltas, the closing events, the error event."""

from __future__ import annotations

import json
from typing import Any

from rungway.domain.usage import Usage
from rungway.errors import UpstreamError
from rungway.messages.stream import MessagesStream


def parse(events: list[bytes]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for event in events:
        head, data = event.decode().rstrip("\n").split("\n")
        out.append((head.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return out


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def test_text_then_tool_calls_become_blocks_with_deltas_and_a_closing_message_delta() -> None:
    stream = MessagesStream("msg_1", "claude", 12)
    events: list[bytes] = []
    events += stream.chunk(chunk({"role": "assistant", "content": ""}))
    events += stream.chunk(chunk({"content": "Let me check."}))
    call = {"index": 0, "id": "call_1", "function": {"name": "get_weather", "arguments": '{"ci'}}
    events += stream.chunk(chunk({"tool_calls": [call]}))
    events += stream.chunk(chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ty":"Paris"}'}}]}))
    events += stream.chunk(
        chunk({"tool_calls": [{"index": 1, "id": "call_2", "function": {"name": "f", "arguments": "{}"}}]})
    )
    events += stream.chunk(chunk({}, "tool_calls"))
    events += stream.end(Usage(input=12, output=9, cached_input=2))
    parsed = parse(events)
    assert [name for name, _ in parsed] == [
        "message_start", "ping",
        "content_block_start", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_stop",
        "message_delta", "message_stop",
    ]  # fmt: skip
    assert parsed[0][1]["message"]["usage"]["input_tokens"] == 12 and parsed[0][1]["message"]["model"] == "claude"
    assert parsed[3][1] == {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": "Let me check."},
    }
    assert parsed[5][1]["content_block"] == {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {}}
    assert "".join(e["delta"]["partial_json"] for n, e in parsed[6:8]) == '{"city":"Paris"}'
    assert parsed[9][1]["index"] == 2
    assert parsed[-2][1]["delta"]["stop_reason"] == "tool_use"
    assert parsed[-2][1]["usage"] == {"input_tokens": 10, "output_tokens": 9, "cache_read_input_tokens": 2,
                                      "cache_creation_input_tokens": 0}  # fmt: skip


def test_an_empty_stream_still_starts_and_ends_and_length_is_max_tokens() -> None:
    stream = MessagesStream("msg_2", "m", 3)
    events = list(stream.chunk(chunk({}, "length"))) + list(stream.end(None))
    assert [name for name, _ in parse(events)] == ["message_start", "ping", "message_delta", "message_stop"]
    assert parse(events)[2][1]["delta"]["stop_reason"] == "max_tokens"
    assert stream.error(UpstreamError("upstream broke")).startswith(b'event: error\ndata: {"type":"error"')
