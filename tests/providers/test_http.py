"""The shared HTTP pieces: the SSE reader under every way a stream can be cut, and error mapping."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import AsyncIterator

import pytest

from rungway.errors import RateLimited, UpstreamError, UpstreamRejected
from rungway.providers.http import SseEvent, retry_after_seconds, sse_events, upstream_failure

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


def test_retry_after_reads_seconds_milliseconds_and_http_dates() -> None:
    assert retry_after_seconds({"Retry-After": "12"}) == 12
    assert retry_after_seconds({"retry-after-ms": "1500", "Retry-After": "9"}) == 1.5
    assert retry_after_seconds({}) == 1.0
    assert retry_after_seconds({"Retry-After": "soon"}) == 1.0
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= retry_after_seconds({"Retry-After": later}) <= 31


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"error": {"message": "bad model", "type": "invalid_request_error", "code": "x"}}', "bad model"),
        (b'{"type": "error", "error": {"type": "invalid_request_error", "message": "bad tool"}}', "bad tool"),
        (b'{"error": "model \\"llama9\\" not found"}', 'model "llama9" not found'),
        (
            b'{"object": "error", "message": "max_tokens too large", "type": "BadRequestError", "code": 400}',
            "max_tokens",
        ),
        (b"plain text body", "plain text body"),
    ],
)
def test_error_bodies_of_every_shape_keep_their_message(raw: bytes, message: str) -> None:
    error = upstream_failure("up", 404, raw, {})
    assert isinstance(error, UpstreamRejected) and error.status == 404
    assert message in error.message


def test_status_mapping() -> None:
    assert isinstance(upstream_failure("up", 429, b"{}", {"Retry-After": "4"}), RateLimited)
    for status in (500, 503, 529, 401, 403):
        error = upstream_failure("up", status, b"{}", {})
        assert isinstance(error, UpstreamError) and error.status == 502 and error.upstream_status == status
    redirect = upstream_failure("up", 308, b"", {"Location": "https://api.example.com/v2/chat"})
    assert isinstance(redirect, UpstreamError) and redirect.status == 502 and redirect.code == "upstream_redirect"
    assert "https://api.example.com/v2/chat" in redirect.message and "base_url" in redirect.message
