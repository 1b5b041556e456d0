"""The event-stream decoder against botocore's, its reference: the same messages from the same bytes,
and an error wherever botocore raises (this one may be stricter, never laxer)."""

from __future__ import annotations

import binascii
import struct
from typing import Any

import pytest
from botocore.eventstream import EventStreamBuffer
from hypothesis import given, settings
from hypothesis import strategies as st

from rungway.wire.eventstream import EventStreamDecoder, EventStreamError

# (type byte, strategy for the value, encoder of the value)
HEADER_TYPES: list[tuple[int, Any, Any]] = [
    (0, st.just(True), lambda v: b""),
    (1, st.just(False), lambda v: b""),
    (2, st.integers(-128, 127), lambda v: struct.pack(">b", v)),
    (3, st.integers(-(2**15), 2**15 - 1), lambda v: struct.pack(">h", v)),
    (4, st.integers(-(2**31), 2**31 - 1), lambda v: struct.pack(">i", v)),
    (5, st.integers(-(2**63), 2**63 - 1), lambda v: struct.pack(">q", v)),
    (6, st.binary(max_size=40), lambda v: struct.pack(">H", len(v)) + v),
    (7, st.text(max_size=20), lambda v: struct.pack(">H", len(v.encode())) + v.encode()),
    (8, st.integers(0, 2**62), lambda v: struct.pack(">q", v)),
    (9, st.binary(min_size=16, max_size=16), lambda v: v),
]


def header(name: str, kind: int, encoded: bytes) -> bytes:
    raw = name.encode()
    return bytes([len(raw)]) + raw + bytes([kind]) + encoded


def message(headers: bytes, payload: bytes) -> bytes:
    prelude = struct.pack(">II", 16 + len(headers) + len(payload), len(headers))
    prelude += struct.pack(">I", binascii.crc32(prelude))
    body = prelude + headers + payload
    return body + struct.pack(">I", binascii.crc32(body))


@st.composite
def headers_blocks(draw: st.DrawFn) -> bytes:
    names = draw(
        st.lists(st.text(min_size=1, max_size=12).filter(lambda n: len(n.encode()) < 256), max_size=6, unique=True)
    )
    out = b""
    for name in names:
        kind, values, encode = draw(st.sampled_from(HEADER_TYPES))
        out += header(name, kind, encode(draw(values)))
    return out


def reference(wire: bytes) -> list[tuple[dict[str, Any], bytes]] | Exception:
    buffer = EventStreamBuffer()
    buffer.add_data(wire)
    try:
        return [(dict(m.headers), bytes(m.payload)) for m in buffer]
    except Exception as exc:
        return exc


def ours(wire: bytes, step: int) -> list[tuple[dict[str, Any], bytes]] | Exception:
    decoder = EventStreamDecoder()
    out = []
    try:
        for start in range(0, len(wire), step):
            out += [(m.headers, m.payload) for m in decoder.feed(wire[start : start + step])]
    except EventStreamError as exc:
        return exc
    return out


def agree(wire: bytes, step: int = 7) -> None:
    expected, found = reference(wire), ours(wire, step)
    if isinstance(expected, Exception):
        assert isinstance(found, Exception), f"botocore raised {expected!r}; ours decoded {found!r}"
    elif not isinstance(found, Exception):
        assert found == expected
    # else: ours refused what botocore let through; the strictness cases below name each one


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(headers_blocks(), st.binary(max_size=300)), min_size=1, max_size=4), st.integers(1, 64))
def test_valid_messages_decode_as_botocore_decodes_them(messages: list[tuple[bytes, bytes]], step: int) -> None:
    wire = b"".join(message(h, p) for h, p in messages)
    found = ours(wire, step)
    assert not isinstance(found, Exception)
    assert found == reference(wire)


@settings(max_examples=600, deadline=None)
@given(headers_blocks(), st.binary(max_size=100), st.data())
def test_corrupted_messages_fail_where_botocore_fails(headers: bytes, payload: bytes, data: st.DataObject) -> None:
    wire = bytearray(message(headers, payload))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(wire) - 1))
        wire[at] = data.draw(st.integers(0, 255))
    agree(bytes(wire), data.draw(st.integers(1, 50)))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_fail_where_botocore_fails(noise: bytes) -> None:
    agree(noise)


def recrc(headers: bytes, payload: bytes = b"{}") -> bytes:
    """A message whose CRCs are right whatever its headers block holds: only the header checks can catch it."""
    return message(headers, payload)


@pytest.mark.parametrize(
    ("wire", "match"),
    [
        (message(header(":event-type", 7, struct.pack(">H", 5) + b"x"), b""), "runs past"),
        (recrc(header("a", 0, b"") + header("a", 1, b"")), "appears twice"),
        (recrc(header("a", 42, b"")), "unknown type 42"),
        (recrc(header("a", 7, struct.pack(">H", 2) + b"\xff\xfe")), "malformed header"),
        (recrc(header("a", 4, b"\x00\x01")), "malformed header"),
        (recrc(b"\x05ab"), "malformed header"),
    ],
    ids=["string-past-block", "duplicate", "unknown-type", "bad-utf8", "short-int", "short-name"],
)
def test_malformed_headers_are_refused(wire: bytes, match: str) -> None:
    with pytest.raises(EventStreamError, match=match):
        EventStreamDecoder().feed(wire)


def test_crcs_lengths_and_the_cap() -> None:
    good = message(header(":event-type", 7, struct.pack(">H", 1) + b"x"), b"{}")
    bad_message_crc = good[:-1] + bytes([good[-1] ^ 1])
    with pytest.raises(EventStreamError, match="message's CRC32"):
        EventStreamDecoder().feed(bad_message_crc)
    bad_prelude = bytes([good[0] ^ 1]) + good[1:]
    with pytest.raises(EventStreamError, match="prelude's CRC32"):
        EventStreamDecoder().feed(bad_prelude)
    prelude = struct.pack(">II", 10, 0)
    with pytest.raises(EventStreamError, match="total length of 10"):
        EventStreamDecoder().feed(prelude + struct.pack(">I", binascii.crc32(prelude)))
    prelude = struct.pack(">II", 1000, 0)
    decoder = EventStreamDecoder(max_message_bytes=999)
    with pytest.raises(EventStreamError, match="exceeded 999 bytes"):
        decoder.feed(prelude + struct.pack(">I", binascii.crc32(prelude)))  # refused from the prelude alone


def test_partial_messages_wait_and_pending_counts_them() -> None:
    wire = message(header(":event-type", 7, struct.pack(">H", 1) + b"x"), b"{}") * 2
    decoder = EventStreamDecoder()
    assert decoder.feed(wire[:30]) == [] and decoder.pending == 30
    done = decoder.feed(wire[30:])
    assert [m.event_type for m in done] == ["x", "x"] and decoder.pending == 0
    assert done[0].headers == {":event-type": "x"} and done[0].payload == b"{}"
