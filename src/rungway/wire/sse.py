"""Server-sent events (the `text/event-stream` framing) read from a byte stream cut anywhere.

Upstream streams (OpenAI's `data:` chunks, Anthropic's named events) arrive in reads that split
events, lines and CRLF pairs at arbitrary places; the parser reassembles them and hands the events
of each read over as one list, so a relay pays one async step per read rather than per event.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable
from typing import NamedTuple

DEFAULT_MAX_SSE_EVENT_BYTES = 8 * 1024 * 1024
BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark, which a stream may start with


class SseEvent(NamedTuple):
    """One server-sent event: its `event:` name (None when absent) and its data bytes. A named tuple:
    one is made per streamed chunk, and a tuple is the cheapest immutable record to make."""

    name: str | None
    data: bytes


class SseEventTooLarge(Exception):
    """An event grew past the parser's `max_event_bytes` without ending."""


class SseParser:
    """Server-sent events from a byte stream cut anywhere: events split across reads, CRLF or CR line
    ends, `data:` with or without its space, multi-line data, comments and keep-alives, and a byte order
    mark at the start of the stream (dropped, as the HTML standard's parser does); `id:`, `retry:` and
    unknown fields are ignored. `feed` returns the events a read completed (a list per read, so a relay
    pays one async step per read, not per event); `finish` returns an unterminated last event (some
    servers omit the final blank line).

    An unfinished event is kept in a buffer that grows in place and is searched only from where the
    last search stopped, so an event arriving in n pieces costs O(size), not O(n * size); past
    `max_event_bytes` `feed` raises `SseEventTooLarge`."""

    __slots__ = ("_at_start", "_bom_held", "_buffer", "_carry_cr", "_searched", "max_event_bytes")

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_SSE_EVENT_BYTES) -> None:
        self._buffer = bytearray()
        self._searched = 0  # bytes at the start of `_buffer` known to hold no blank line
        self._carry_cr = False
        self._at_start = True  # no byte read yet past a possible byte order mark
        self._bom_held = b""
        self.max_event_bytes = max_event_bytes

    def feed(self, piece: bytes) -> list[SseEvent]:
        if self._at_start:
            piece = self._without_bom(piece)
            if not piece:
                return []
        if self._carry_cr:
            piece = b"\r" + piece
            self._carry_cr = False
        if b"\r" in piece:
            if piece.endswith(b"\r"):
                # Could be the first half of CRLF: decide when the next piece arrives.
                piece, self._carry_cr = piece[:-1], True
            piece = piece.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        held = self._buffer
        if not held:  # the common path: the read starts on an event
            return self._feed_fresh(piece)
        held += piece  # an event continues from an earlier read
        search = max(self._searched - 1, 0)  # a blank line may straddle the seam
        events: list[SseEvent] = []
        start = 0
        while True:
            end = held.find(b"\n\n", search)
            if end < 0:
                break
            event = _parse_event(bytes(held[start:end]))
            start = search = end + 2
            if event is not None:
                events.append(event)
        del held[:start]
        self._hold_checked()
        return events

    def _feed_fresh(self, piece: bytes) -> list[SseEvent]:
        """Events of a read that starts on an event: one `split` finds every blank line at once."""
        blocks = piece.split(b"\n\n")
        rest = blocks.pop()
        found = [
            SseEvent(None, block[6:]) if block[:6] == b"data: " and b"\n" not in block else _parse_event(block)
            for block in blocks
        ]
        events = [event for event in found if event is not None] if None in found else found
        if rest:
            self._buffer += rest
            self._hold_checked()
        return events  # type: ignore[return-value]  # no None left

    def _hold_checked(self) -> None:
        held = self._buffer
        self._searched = len(held)
        if len(held) > self.max_event_bytes:
            held.clear()
            raise SseEventTooLarge(f"an event grew past {self.max_event_bytes} bytes")

    def _without_bom(self, piece: bytes) -> bytes:
        head = self._bom_held + piece
        if len(head) < len(BOM) and BOM.startswith(head):  # maybe a BOM cut by the read: wait for more
            self._bom_held = head
            return b""
        self._at_start, self._bom_held = False, b""
        return head[len(BOM) :] if head.startswith(BOM) else head

    def finish(self) -> list[SseEvent]:
        event = _parse_event(bytes(self._buffer).strip(b"\n"))
        self._buffer.clear()
        return [event] if event is not None else []


async def sse_events(
    pieces: AsyncIterable[bytes], max_event_bytes: int = DEFAULT_MAX_SSE_EVENT_BYTES
) -> AsyncGenerator[SseEvent, None]:
    """The events of a byte stream one by one (see `SseParser`)."""
    parser = SseParser(max_event_bytes)
    async for piece in pieces:
        for event in parser.feed(piece):
            yield event
    for event in parser.finish():
        yield event


async def sse_batches(
    pieces: AsyncIterable[bytes], max_event_bytes: int = DEFAULT_MAX_SSE_EVENT_BYTES
) -> AsyncGenerator[list[SseEvent], None]:
    """The events of a byte stream, a list per read that completed any (see `SseParser`)."""
    parser = SseParser(max_event_bytes)
    async for piece in pieces:
        events = parser.feed(piece)
        if events:
            yield events
    last = parser.finish()
    if last:
        yield last


def _parse_event(block: bytes) -> SseEvent | None:
    if block.startswith(b"data: ") and b"\n" not in block:
        return SseEvent(None, block[6:])
    name: str | None = None
    data: list[bytes] = []
    for line in block.split(b"\n"):
        if not line or line.startswith(b":"):
            continue
        field, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if field == b"data":
            data.append(value)
        elif field == b"event":
            name = value.decode("utf-8", "replace")
    if not data:
        return None
    return SseEvent(name, data[0] if len(data) == 1 else b"\n".join(data))
