"""Property: any sequence of RESP2 replies, cut into chunks anywhere, is read back exactly, in order,
by the connection's own `data_received` (bulk strings with any bytes, nested arrays, integers at the
64-bit edges, simple strings, errors, nulls)."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rungway.counters.resp import RedisReplyError, _RespProtocol


class ErrorReply(str):
    """An expected error reply (its message)."""


LINE_TEXT = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=40)
SCALARS = st.one_of(
    st.binary(max_size=200),  # bulk strings, \r\n and NUL included
    st.none(),  # the null bulk string
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    LINE_TEXT,  # simple strings
    LINE_TEXT.map(lambda text: ErrorReply("ERR " + text)),
)
REPLIES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=6), max_leaves=30)


def encode(value: Any) -> bytes:
    if isinstance(value, ErrorReply):
        return b"-" + value.encode() + b"\r\n"
    if isinstance(value, str):
        return b"+" + value.encode() + b"\r\n"
    if isinstance(value, bytes):
        return b"$%d\r\n%b\r\n" % (len(value), value)
    if value is None:
        return b"$-1\r\n"
    if isinstance(value, int):
        return b":%d\r\n" % value
    return b"*%d\r\n" % len(value) + b"".join(encode(item) for item in value)


def comparable(value: Any) -> Any:
    if isinstance(value, RedisReplyError):
        return ("error", str(value))
    if isinstance(value, ErrorReply):
        return ("error", str(value))
    if isinstance(value, list):
        return [comparable(item) for item in value]
    return value


def read_back(wire: bytes, cuts: list[int], count: int) -> list[Any]:
    async def run() -> list[Any]:
        protocol = _RespProtocol(timeout_s=5)
        loop = asyncio.get_running_loop()
        waiters = [loop.create_future() for _ in range(count)]
        protocol.waiters.extend(waiters)
        edges = [0, *sorted(set(cuts)), len(wire)]
        for start, end in itertools.pairwise(edges):
            if end > start:
                protocol.data_received(wire[start:end])
        assert all(w.done() for w in waiters) and not protocol.buffer
        return [w.exception() if w.exception() is not None else w.result() for w in waiters]

    return asyncio.run(run())


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(REPLIES, min_size=1, max_size=8), st.data())
def test_replies_cut_anywhere_are_read_back_exactly(replies: list[Any], data: st.DataObject) -> None:
    wire = b"".join(encode(reply) for reply in replies)
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(wire)), max_size=12))
    assert [comparable(v) for v in read_back(wire, cuts, len(replies))] == [comparable(r) for r in replies]


def test_null_array_and_empty_values() -> None:
    wire = b"*-1\r\n*0\r\n$0\r\n\r\n+\r\n"
    assert read_back(wire, [1, 2, 7, 12], 4) == [None, [], b"", ""]
