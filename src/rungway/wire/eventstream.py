"""A decoder for AWS's binary event-stream framing (`application/vnd.amazon.eventstream`).

Bedrock's ConverseStream answers in it. botocore's `EventStreamBuffer` decodes it too, but parses each
header in pure Python at about 8 µs a message, which made it 80% of a streamed call's CPU
(docs/benchmarks.md, "Bedrock provider"); this one reads the same framing with `struct` and `crc32` at a
fraction of that. It is held to botocore's as its reference: tests/wire/test_eventstream.py decodes the
same messages with both (valid ones, every header type, and corrupted, truncated and hostile ones) and
requires the same messages, or an error from this one wherever botocore raises. It is stricter than
botocore where botocore is lax (a header running past the headers block, trailing bytes in it).

A message: a 12-byte prelude (total length, headers length, CRC32 of those 8 bytes), headers, payload,
and a CRC32 of everything before it. A header: name length (1 byte), name (UTF-8), type (1 byte), value.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from zlib import crc32

__all__ = ["EventStreamDecoder", "EventStreamError", "HeaderValue", "StreamMessage"]

PRELUDE_BYTES = 12
MESSAGE_OVERHEAD = 16  # prelude + message CRC
MAX_HEADERS_BYTES = 128 * 1024  # as botocore
MAX_PAYLOAD_BYTES = 24 * 1024 * 1024  # as botocore
_PRELUDE = struct.Struct(">III")
_U32 = struct.Struct(">I")
_U16 = struct.Struct(">H")
_FIXED = {2: struct.Struct(">b"), 3: struct.Struct(">h"), 4: struct.Struct(">i"), 5: struct.Struct(">q")}
_TIMESTAMP = 8
_CACHED_BLOCKS = 32  # distinct header blocks remembered per stream
_CACHED_BLOCK_BYTES = 512
_UUID = 9

HeaderValue = bool | int | bytes | str


class EventStreamError(Exception):
    """The stream broke the framing: a CRC, a length, a header, or the size cap."""


@dataclass(frozen=True, slots=True)
class StreamMessage:
    """One decoded message: its headers and payload, with the type headers read out."""

    headers: dict[str, HeaderValue]
    payload: bytes

    def text(self, name: str) -> str:
        value = self.headers.get(name)
        return value[:100] if isinstance(value, str) else ""

    @property
    def message_type(self) -> str:
        """`event`, `exception` or `error` (`:message-type`)."""
        return self.text(":message-type")

    @property
    def event_type(self) -> str:
        """`:event-type` of an event, `:exception-type` of an exception, `:error-code` of an error."""
        kind = self.message_type
        return self.text(
            ":exception-type" if kind == "exception" else ":error-code" if kind == "error" else ":event-type"
        )


class EventStreamDecoder:
    """Feed body pieces as they arrive; get the messages they complete. A message longer than
    `max_message_bytes` is refused from its prelude, before its bytes are buffered.

    Header blocks repeat (Bedrock sends the same three headers with every delta), so the parsed
    headers of recent blocks are kept and shared between messages: treat them as read-only."""

    def __init__(self, max_message_bytes: int = MAX_PAYLOAD_BYTES) -> None:
        self.max_message_bytes = max_message_bytes
        self._data = b""
        self._parsed: dict[bytes, dict[str, HeaderValue]] = {}

    @property
    def pending(self) -> int:
        """Bytes received that are not yet a whole message (a stream ending with some is truncated)."""
        return len(self._data)

    def feed(self, piece: bytes) -> list[StreamMessage]:
        data = self._data + piece if self._data else bytes(piece)
        view = memoryview(data)
        messages: list[StreamMessage] = []
        start, size = 0, len(data)
        while size - start >= PRELUDE_BYTES:
            total, headers_length, prelude_crc = _PRELUDE.unpack_from(data, start)
            if crc32(view[start : start + 8]) != prelude_crc:
                raise EventStreamError("the prelude's CRC32 does not match")
            if headers_length > MAX_HEADERS_BYTES:
                raise EventStreamError(f"a headers block of {headers_length} bytes (at most {MAX_HEADERS_BYTES})")
            payload_length = total - MESSAGE_OVERHEAD - headers_length
            if payload_length < 0:
                raise EventStreamError(f"a total length of {total} with {headers_length} bytes of headers")
            if payload_length > MAX_PAYLOAD_BYTES or total > self.max_message_bytes:
                raise EventStreamError(f"one event-stream message exceeded {self.max_message_bytes} bytes")
            if size - start < total:
                break
            end = start + total - 4
            if crc32(view[start + 8 : end], prelude_crc) != _U32.unpack_from(data, end)[0]:
                raise EventStreamError("the message's CRC32 does not match")
            headers_end = start + PRELUDE_BYTES + headers_length
            block = data[start + PRELUDE_BYTES : headers_end]
            headers = self._parsed.get(block)
            if headers is None:
                headers = _headers(block)
                if len(block) <= _CACHED_BLOCK_BYTES:
                    if len(self._parsed) >= _CACHED_BLOCKS:
                        self._parsed.clear()
                    self._parsed[block] = headers
            messages.append(StreamMessage(headers, data[headers_end:end]))
            start += total
        view.release()
        self._data = data[start:] if start < size else b""
        return messages


def _headers(block: bytes) -> dict[str, HeaderValue]:
    headers: dict[str, HeaderValue] = {}
    at, size = 0, len(block)
    try:
        while at < size:
            name_end = at + 1 + block[at]
            name = block[at + 1 : name_end].decode()
            kind = block[name_end]
            at = name_end + 1
            value: HeaderValue
            if kind == 7 or kind == 6:  # strings first: every header Bedrock sends is one
                length = _U16.unpack_from(block, at)[0]
                raw = block[at + 2 : at + 2 + length]
                at += 2 + length
                value = raw.decode() if kind == 7 else raw
            elif kind in (0, 1):
                value = kind == 0
            elif kind in _FIXED:
                fixed = _FIXED[kind]
                value = fixed.unpack_from(block, at)[0]
                at += fixed.size
            elif kind == _TIMESTAMP:
                value = _FIXED[5].unpack_from(block, at)[0]
                at += 8
            elif kind == _UUID:
                value = block[at : at + 16]  # the UUID's 16 bytes, as botocore gives them
                at += 16
            else:
                raise EventStreamError(f"a header of unknown type {kind}")
            if at > size or name_end > size:
                raise EventStreamError("a header runs past the headers block")
            if name in headers:
                raise EventStreamError(f"the header {name[:40]!r} appears twice")
            headers[name] = value
    except (IndexError, ValueError, struct.error) as exc:  # UnicodeDecodeError is a ValueError
        raise EventStreamError(f"a malformed header: {exc}") from None
    return headers
