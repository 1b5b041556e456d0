"""Conformance of the pipelined Redis client (`rungway.wire.resp`): scripted RESP2 replies per type, cut
anywhere, malformed ones refused; a property test over any replies; scripts, timeouts and reconnects."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rungway.errors import ConfigError
from rungway.wire.resp import (
    Bulk,
    RedisReplyError,
    RespClient,
    RespProtocolError,
    Script,
    _Incomplete,
    _RespProtocol,
    encode_command,
    parse_reply,
)
from tests.wire.scripted import Script as ServerScript
from tests.wire.scripted import ScriptedTransport, every_cut


def test_parse_every_reply_type_at_every_cut() -> None:
    wire = b"+OK\r\n:-42\r\n$5\r\nhello\r\n$-1\r\n*3\r\n:1\r\n$2\r\nab\r\n*1\r\n-ERR inner\r\n-NOSCRIPT no\r\n"
    expected = ["OK", -42, b"hello", None, [1, b"ab", [RedisReplyError]], RedisReplyError]
    for cut in range(1, len(wire)):
        buf = bytearray(wire[:cut])
        values, pos = [], 0
        while True:
            try:
                value, pos = parse_reply(buf, pos)
            except _Incomplete:
                break
            values.append(value)
        del buf[:pos]
        buf += wire[cut:]
        pos = 0
        while pos < len(buf):
            value, pos = parse_reply(buf, pos)
            values.append(value)
        assert values[:4] == expected[:4]
        assert values[4][:2] == [1, b"ab"] and isinstance(values[4][2][0], RedisReplyError)
        assert isinstance(values[5], RedisReplyError) and str(values[5]).startswith("NOSCRIPT")


def test_encode_command() -> None:
    assert encode_command(("SET", "k", 12, b"v")) == b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n$1\r\nv\r\n"
    # Pre-encoded arguments pass through as they are; other types are sent as their text.
    assert encode_command((Bulk.of("GET"), Bulk.of("ké"), 0.5, -3)) == (
        b"*4\r\n$3\r\nGET\r\n$3\r\nk\xc3\xa9\r\n$3\r\n0.5\r\n$2\r\n-3\r\n"
    )


def test_encoded_integers_stay_right_past_the_cache_size() -> None:
    for n in range(-10, 10_000, 7):
        assert encode_command((n,)) == b"*1\r\n$%d\r\n%d\r\n" % (len(str(n)), n)
    assert encode_command((10**15, 10**15)) == b"*2\r\n$16\r\n1000000000000000\r\n$16\r\n1000000000000000\r\n"


def test_silent_server_times_out_every_pending_call_and_the_next_call_reconnects() -> None:
    async def run() -> None:
        connections: list[asyncio.StreamWriter] = []

        async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            connections.append(writer)  # reads nothing, answers nothing

        server = await asyncio.start_server(accept, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = RespClient(f"redis://127.0.0.1:{port}/0", timeout_s=0.2)
        results = await asyncio.gather(client.call("PING"), client.call("GET", "k"), return_exceptions=True)
        assert [type(r) for r in results] == [TimeoutError, TimeoutError]
        assert "0.2s" in str(results[0])
        with pytest.raises(TimeoutError):
            await client.call("PING")
        assert len(connections) == 2  # the first connection was dropped after the timeout
        await client.close()
        server.close()
        for writer in connections:
            writer.close()
        await server.wait_closed()

    asyncio.run(run())


def test_bad_url_names_the_fix_and_hides_the_password() -> None:
    with pytest.raises(ConfigError) as caught:
        RespClient("http://user:s3cret@host:6379/0")
    assert "rediss://" in caught.value.message and "s3cret" not in caught.value.message
    assert RespClient("rediss://u:p@host:6380/2").address.shown == "rediss://u@host:6380/2"


def test_pipelined_calls_scripts_and_reconnect(redis_url: str) -> None:
    async def run() -> None:
        client = RespClient(redis_url)
        key = "rungway-test:resp:counter"
        await client.call("DEL", key)
        script = Script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        await client.call("SCRIPT", "FLUSH")
        results = await asyncio.gather(*(client.run(script, [key], [1]) for _ in range(200)))
        assert sorted(results) == list(range(1, 201))
        with pytest.raises(RedisReplyError):
            await client.call("INCRBY", key, "not-a-number")
        own_id = await client.call("CLIENT", "ID")
        other = RespClient(redis_url)
        assert await other.call("CLIENT", "KILL", "ID", own_id) == 1
        for _ in range(20):
            try:
                assert await client.call("GET", key) == b"200"
                break
            except ConnectionError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("client did not reconnect")
        await client.call("DEL", key)
        await client.close()
        await other.close()

    asyncio.run(run())


def test_unreachable_redis_raises_connection_error() -> None:
    async def run() -> None:
        client = RespClient("redis://127.0.0.1:1/0", connect_timeout_s=1)
        with pytest.raises(OSError):
            await client.call("PING")

    asyncio.run(run())


# -- Property: any replies, cut anywhere ------------------------------------------------------------


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


# -- Conformance: scripted replies through one connection (see tests/wire/scripted.py) ---------------


async def pipeline(commands: list[tuple[Any, ...]], reads: list[bytes]) -> tuple[list[Any], _RespProtocol, list[bytes]]:
    """Send `commands` in one loop turn on a connection whose server answers with `reads`; each command's
    reply, or the exception it raised."""
    server = ServerScript([reads])
    protocol = _RespProtocol(timeout_s=5)
    ScriptedTransport(protocol, server)
    waiters = [protocol.send(command) for command in commands]
    return list(await asyncio.gather(*waiters, return_exceptions=True)), protocol, server.written


EVERY_TYPE = (
    b"+OK\r\n"
    b":-42\r\n"
    b":9223372036854775807\r\n"
    b"$5\r\nhello\r\n"
    b"$0\r\n\r\n"
    b"$6\r\na\r\nb\x00c\r\n"
    b"$-1\r\n"
    b"*-1\r\n"
    b"*0\r\n"
    b"*4\r\n:1\r\n*2\r\n$-1\r\n*1\r\n+deep\r\n-ERR inner\r\n$2\r\nab\r\n"
    b"-NOSCRIPT No matching script\r\n"
    b"+after the error\r\n"
)
EVERY_TYPE_REPLIES = [
    "OK",
    -42,
    2**63 - 1,
    b"hello",
    b"",
    b"a\r\nb\x00c",
    None,
    None,
    [],
    [1, [None, ["deep"]], ("error", "ERR inner"), b"ab"],
    ("error", "NOSCRIPT No matching script"),
    "after the error",
]


def test_every_reply_type_reaches_its_own_command_at_every_cut() -> None:
    commands = [("GET", f"k{i}") for i in range(len(EVERY_TYPE_REPLIES))]

    async def main() -> None:
        for reads in [[EVERY_TYPE], *every_cut(EVERY_TYPE)]:
            results, protocol, _ = await pipeline(commands, reads)
            assert [comparable(r) for r in results] == EVERY_TYPE_REPLIES, reads
            assert not protocol.closed and not protocol.buffer

    asyncio.run(main())


def test_commands_of_one_loop_turn_leave_in_one_write() -> None:
    async def main() -> None:
        commands = [("PING",), ("INCRBY", "k", 5), ("EVALSHA", Bulk.of("abc"), 1, "k", b"\x00")]
        results, _, written = await pipeline(commands, [b"+PONG\r\n:5\r\n:1\r\n"])
        assert results == ["PONG", 5, 1]
        assert written == [b"".join(encode_command(c) for c in commands)]

    asyncio.run(main())


def test_a_big_bulk_string_arrives_whole_whatever_the_reads() -> None:
    big = bytes(range(256)) * 16384 + b"\r\n$3\r\nnot a reply\r\n"  # 4 MiB and a bit, CRLFs inside
    wire = b"$%d\r\n%b\r\n+OK\r\n" % (len(big), big)

    async def main() -> None:
        header = wire.index(b"\r\n") + 2
        splits = [
            [wire[i : i + 65536] for i in range(0, len(wire), 65536)],
            [wire[:3], wire[3:header], wire[header:-6], wire[-6:-5], wire[-5:]],  # cut in the size, before CRLF
        ]
        for reads in splits:
            results, protocol, _ = await pipeline([("GET", "big"), ("PING",)], reads)
            assert results == [big, "OK"]
            assert not protocol.buffer

    asyncio.run(main())


@pytest.mark.parametrize(
    "reply",
    [
        b":abc\r\n",
        b"$3\r\nabcXY",
        b"$x\r\n",
        b"*1\r\n:zz\r\n",
        b"%1\r\n+a\r\n+b\r\n",
        b"_\r\n",
        b"\r\n",
        b"*2\r\n:1\r\n!3\r\nbad\r\n",
    ],
    ids=["int", "bulk-without-crlf", "bulk-size", "nested-int", "resp3-map", "resp3-null", "empty-line", "nested-type"],
)
def test_bytes_that_are_not_resp2_fail_every_pending_command_and_drop_the_connection(reply: bytes) -> None:
    async def main() -> None:
        results, protocol, _ = await pipeline(
            [("PING",), ("GET", "a"), ("GET", "b")], [b"+PONG\r\n" + reply + b":7\r\n"]
        )
        assert results[0] == "PONG"
        assert all(isinstance(r, RespProtocolError) and "not RESP2" in str(r) for r in results[1:]), results
        assert protocol.closed
        with pytest.raises(ConnectionError):
            protocol.send(("PING",))

    asyncio.run(main())


def test_parse_reply_names_bytes_that_are_not_resp2() -> None:
    with pytest.raises(RespProtocolError, match="unknown reply type '%'"):
        parse_reply(bytearray(b"%0\r\n"), 0)


def test_a_reply_with_bytes_that_are_not_utf8_keeps_the_connection() -> None:
    async def main() -> None:
        results, protocol, _ = await pipeline([("PING",), ("GET", "k")], [b"+caf\xe9\r\n-ERR bad \xff key\r\n"])
        assert results[0] == "caf\ufffd"
        assert isinstance(results[1], RedisReplyError) and str(results[1]) == "ERR bad \ufffd key"
        assert not protocol.closed

    asyncio.run(main())
