"""Conformance of the server-sent events parser (`rungway.wire.sse`): scripted stream bytes per framing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from rungway.wire.sse import SseEvent, sse_events

ANTHROPIC_STYLE = (
    b"event: message_start\n"
    b'data: {"type":"message_start"}\n\n'
    b"event: ping\n"
    b'data: {"type": "ping"}\n\n'
    b": a comment line\n\n"
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","delta":{"text":"caf\xc3\xa9"}}\n\n'
)
EXPECTED = [
    SseEvent("message_start", b'{"type":"message_start"}'),
    SseEvent("ping", b'{"type": "ping"}'),
    SseEvent("content_block_delta", b'{"type":"content_block_delta","delta":{"text":"caf\xc3\xa9"}}'),
]


def read(pieces: list[bytes]) -> list[SseEvent]:
    async def source() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    async def collect() -> list[SseEvent]:
        return [event async for event in sse_events(source())]

    return asyncio.run(collect())


def test_events_split_at_every_byte_position_are_read_whole() -> None:
    for cut in range(1, len(ANTHROPIC_STYLE)):
        assert read([ANTHROPIC_STYLE[:cut], ANTHROPIC_STYLE[cut:]]) == EXPECTED, cut


def test_one_byte_at_a_time_with_crlf_line_ends() -> None:
    wire = ANTHROPIC_STYLE.replace(b"\n", b"\r\n")
    assert read([wire[i : i + 1] for i in range(len(wire))]) == EXPECTED


def test_cr_only_line_ends() -> None:
    assert read([ANTHROPIC_STYLE.replace(b"\n", b"\r")]) == EXPECTED


def test_data_without_a_space_and_multi_line_data() -> None:
    wire = b'data:{"a":1}\n\ndata: {"b":\ndata: 2}\n\ndata: [DONE]\n\n'
    assert read([wire]) == [SseEvent(None, b'{"a":1}'), SseEvent(None, b'{"b":\n2}'), SseEvent(None, b"[DONE]")]


def test_keep_alives_and_empty_events_are_skipped() -> None:
    wire = b": keep-alive\n\n\n\nevent: ping\n\ndata: x\n\n"
    assert read([wire]) == [SseEvent(None, b"x")]


def test_a_last_event_without_its_blank_line_is_still_delivered() -> None:
    assert read([b"data: 1\n\ndata: 2\n"]) == [SseEvent(None, b"1"), SseEvent(None, b"2")]
    assert read([b"data: 1\r"]) == [SseEvent(None, b"1")]
