"""Conformance of the server-sent events parser (`rungway.wire.sse`): scripted stream bytes per framing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from rungway.wire.sse import SseEvent, SseEventTooLarge, SseParser, sse_events
from tests.wire.scripted import every_cut

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


def feed_all(pieces: list[bytes], max_event_bytes: int = 1 << 20) -> list[list[SseEvent]]:
    """The parser's output per read, then what `finish` gave (the batches a relay sees)."""
    parser = SseParser(max_event_bytes)
    return [parser.feed(piece) for piece in pieces] + [parser.finish()]


def events_of(pieces: list[bytes], max_event_bytes: int = 1 << 20) -> list[SseEvent]:
    return [event for batch in feed_all(pieces, max_event_bytes) for event in batch]


# Every field kind in one stream: a BOM, comments, `id:`, `retry:`, an unknown field, a named event,
# multi-line data, data without its space, a value whose second space is kept, an id-only block.
REPRESENTATIVE = (
    b"\xef\xbb\xbfevent: message_start\n"
    b": a comment\n"
    b"retry: 3000\n"
    b"id: 1\n"
    b'data: {"a":\n'
    b"data: 1}\n\n"
    b"id: 2\n\n"
    b"unknown: x\n"
    b"data:no-space\n\n"
    b"data:  two spaces\n"
    b"id\n\n"
)
REPRESENTATIVE_EVENTS = [
    SseEvent("message_start", b'{"a":\n1}'),
    SseEvent(None, b"no-space"),
    SseEvent(None, b" two spaces"),
]


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_every_line_ending_reads_the_same_events_at_every_cut(line_end: bytes) -> None:
    wire = REPRESENTATIVE.replace(b"\n", line_end)
    assert events_of([wire]) == REPRESENTATIVE_EVENTS
    for pieces in every_cut(wire):
        assert events_of(pieces) == REPRESENTATIVE_EVENTS, pieces


def test_mixed_line_endings_in_one_stream() -> None:
    wire = b"data: a\r\n\r\ndata: b\r\rdata: c\n\ndata: d\r\n\n"
    expected = [SseEvent(None, x) for x in (b"a", b"b", b"c", b"d")]
    for pieces in every_cut(wire):
        assert events_of(pieces) == expected, pieces


def test_a_byte_order_mark_starting_the_stream_is_dropped_even_cut_across_reads() -> None:
    wire = b"\xef\xbb\xbfdata: x\n\n"
    for pieces in every_cut(wire):
        assert events_of(pieces) == [SseEvent(None, b"x")], pieces


def test_a_byte_order_mark_after_the_start_is_not_a_bom_but_part_of_a_field_name() -> None:
    assert events_of([b"data: x\n\n\xef\xbb\xbfdata: y\n\n"]) == [SseEvent(None, b"x")]
    assert events_of([b"data: \xef\xbb\xbfx\n\n"]) == [SseEvent(None, b"\xef\xbb\xbfx")]


def test_field_names_are_case_sensitive_and_a_line_without_colon_is_a_field_with_no_value() -> None:
    assert events_of([b"DATA: x\n\nData: y\n\n"]) == []
    assert events_of([b"data\n\n"]) == [SseEvent(None, b"")]
    assert events_of([b"data:\ndata:\n\n"]) == [SseEvent(None, b"\n")]


def test_id_and_retry_alone_make_no_event_and_never_enter_the_data() -> None:
    assert events_of([b"id: 7\n\nretry: 10\n\n"]) == []
    assert events_of([b"id: 7\nretry: 10\ndata: x\n\n"]) == [SseEvent(None, b"x")]


def test_the_last_event_name_of_a_block_wins() -> None:
    assert events_of([b"event: a\nevent: b\ndata: x\n\n"]) == [SseEvent("b", b"x")]


def test_utf8_cut_inside_a_character_is_passed_on_byte_exact() -> None:
    wire = "data: café ☕\n\n".encode()
    for pieces in every_cut(wire):
        assert events_of(pieces) == [SseEvent(None, "café ☕".encode())], pieces


def test_the_events_of_one_read_come_as_one_batch() -> None:
    batches = feed_all([b"data: 1\n\ndata: 2\n\ndata: 3", b"\n\n", b": ping\n\n"])
    assert batches == [[SseEvent(None, b"1"), SseEvent(None, b"2")], [SseEvent(None, b"3")], [], []]


def test_an_event_growing_past_the_cap_across_reads_raises() -> None:
    parser = SseParser(max_event_bytes=16)
    assert parser.feed(b"data: 0123456789") == []  # 16 bytes held: at the cap, not past it
    with pytest.raises(SseEventTooLarge):
        parser.feed(b"a")


def test_an_event_exactly_at_the_cap_is_delivered_when_it_ends() -> None:
    parser = SseParser(max_event_bytes=16)
    assert parser.feed(b"data: 0123456789") == []
    assert parser.feed(b"\n\n") == [SseEvent(None, b"0123456789")]


def test_the_cap_counts_the_unfinished_event_not_the_events_a_read_completed() -> None:
    many = b"data: 0123456789\n\n" * 10
    assert events_of([many], max_event_bytes=16) == [SseEvent(None, b"0123456789")] * 10


def test_an_endless_event_trickled_a_byte_at_a_time_is_cut_at_the_cap() -> None:
    parser = SseParser(max_event_bytes=64)
    with pytest.raises(SseEventTooLarge):
        for _ in range(65):
            parser.feed(b"a")
