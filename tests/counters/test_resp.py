"""The pipelined Redis client: RESP parsing under any cut, errors, scripts, reconnects."""

from __future__ import annotations

import asyncio

import pytest

from rungway.counters.resp import Bulk, RedisReplyError, RespClient, Script, _Incomplete, encode_command, parse_reply
from rungway.errors import ConfigError


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
