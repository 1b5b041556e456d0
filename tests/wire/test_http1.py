"""The upstream HTTP/1.1 client against raw loopback servers that answer exactly as scripted."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import trustme
import uvloop
from multidict import CIMultiDictProxy

from rungway.wire.http1 import PAUSE_AT, H1Pool, ResponseLimits, ResponseTooLarge
from rungway.wire.http1_address import H1Error, Proxy
from tests.wire.scripted import Script, ScriptedPool, every_cut


async def until(condition: Callable[[], bool], what: str, timeout_s: float = 10) -> None:
    """Wait, polling, for `condition`; fail naming `what` after `timeout_s`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.005)


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, dict[str, Any]], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v for k, _, v in (line.partition(": ") for line in lines[1:] if line)}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return lines[0], headers, body


async def serve(handler: Handler, tls: ssl.SSLContext | None = None) -> tuple[asyncio.Server, str, dict[str, Any]]:
    seen: dict[str, Any] = {"connections": 0, "requests": []}

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen["connections"] += 1
        try:
            await handler(reader, writer, seen)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    return server, f"{'https' if tls else 'http'}://127.0.0.1:{port}/v1/chat?x=1", seen


def answer(body: bytes, *extra: str, status: str = "200 OK") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "".join(f"{h}\r\n" for h in extra) + "\r\n").encode() + body


async def keep_answering(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: dict[str, Any]) -> None:
    while True:
        line, headers, body = await read_request(reader)
        seen["requests"].append((line, headers, body))
        writer.write(answer(b'{"echo": ' + str(len(body)).encode() + b"}"))
        await writer.drain()


def run(coro: Awaitable[Any]) -> Any:
    """Under uvloop, as `rungway serve` runs (its transports are not asyncio's classes)."""

    async def main() -> Any:
        return await coro

    return uvloop.run(main())


def test_keep_alive_reuses_one_connection_and_sends_exact_request() -> None:
    async def main() -> None:
        server, url, seen = await serve(keep_answering)
        pool = H1Pool(10, 5)
        for i in range(5):
            r = await pool.request("POST", url, {"Authorization": "Bearer k"}, b"x" * i, 5, whole=True)
            assert (r.status, await r.read()) == (200, b'{"echo": ' + str(i).encode() + b"}")
            assert r.headers["content-type"] == "application/json"
            r.release()
        assert seen["connections"] == 1
        line, headers, body = seen["requests"][3]
        assert line == "POST /v1/chat?x=1 HTTP/1.1"
        assert headers["host"] == url.split("/")[2] and headers["authorization"] == "Bearer k"
        assert body == b"xxx"
        await pool.close()
        server.close()

    run(main())


def test_pool_never_opens_more_than_its_limit() -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: dict[str, Any]) -> None:
        while True:
            await read_request(reader)
            await asyncio.sleep(0.01)
            writer.write(answer(b"{}"))

    async def main() -> None:
        server, url, seen = await serve(slow)
        pool = H1Pool(3, 5)

        async def one() -> int:
            r = await pool.request("POST", url, {}, b"{}", 5, whole=True)
            r.release()
            return r.status

        assert await asyncio.gather(*(one() for _ in range(30))) == [200] * 30
        assert seen["connections"] == 3
        await pool.close()
        server.close()

    run(main())


@pytest.mark.parametrize("style", ["chunked", "until-close", "gzip", "interim-100"])
def test_body_framings(style: str) -> None:
    payload = b'{"choices": [], "usage": {"prompt_tokens": 3}}'

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: dict[str, Any]) -> None:
        await read_request(reader)
        if style == "chunked":
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for i in range(0, len(payload), 7):
                piece = payload[i : i + 7]
                writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                await writer.drain()
            writer.write(b"0\r\n\r\n")
        elif style == "until-close":
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + payload)
            await writer.drain()
            writer.close()
        elif style == "gzip":
            writer.write(answer(gzip.compress(payload), "Content-Encoding: gzip"))
        else:
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n" + answer(payload))
        await writer.drain()
        await asyncio.sleep(0.05)

    async def main() -> None:
        server, url, _ = await serve(handler)
        pool = H1Pool(10, 5)
        r = await pool.request("POST", url, {}, b"{}", 5, whole=True)
        assert (r.status, await r.read()) == (200, payload)
        r.release()
        await pool.close()
        server.close()

    run(main())


def test_a_request_the_upstream_read_on_a_reused_connection_is_never_sent_again() -> None:
    async def read_then_drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: dict[str, Any]) -> None:
        seen["requests"].append(await read_request(reader))
        writer.write(answer(b"{}"))  # keep-alive promised, then dropped without a word on the next request
        await writer.drain()
        seen["requests"].append(await read_request(reader))

    async def main() -> None:
        server, url, seen = await serve(read_then_drop)
        pool = H1Pool(10, 5)
        r = await pool.request("POST", url, {}, b"{}", 5, whole=True)
        r.release()
        with pytest.raises(H1Error, match="not sent again"):
            await pool.request("POST", url, {}, b"{}", 5, whole=True)  # it may have run (and been billed)
        assert (seen["connections"], len(seen["requests"])) == (1, 2)
        await pool.close()
        server.close()

    run(main())


def test_a_pooled_connection_seen_closed_before_writing_is_replaced_without_an_error() -> None:
    async def answer_then_close(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: dict[str, Any]
    ) -> None:
        await read_request(reader)
        writer.write(answer(b"{}"))  # keep-alive promised, then closed while idle
        await writer.drain()

    async def main() -> None:
        server, url, seen = await serve(answer_then_close)
        pool = H1Pool(10, 5)
        r = await pool.request("POST", url, {}, b"{}", 5, whole=True)
        conn = r._conn
        r.release()
        while not conn.closed:  # the server's close reaches the pooled connection
            await asyncio.sleep(0.005)
        r = await pool.request("POST", url, {}, b"{}", 5, whole=True)
        assert r.status == 200
        r.release()
        assert seen["connections"] == 2
        await pool.close()
        server.close()

    run(main())


def test_a_connection_closing_as_it_is_taken_from_the_pool_is_not_written_and_the_request_goes_elsewhere() -> None:
    async def main() -> None:
        server, url, seen = await serve(keep_answering)
        pool = H1Pool(10, 5)
        r = await pool.request("POST", url, {}, b"{}", 5, whole=True)
        conn = r._conn
        r.release()
        assert conn.transport is not None
        conn.transport.close()  # closing, its loss not yet delivered: still in the pool's idle list
        r = await pool.request("POST", url, {}, b"abc", 5, whole=True)
        assert (r.status, await r.read()) == (200, b'{"echo": 3}')
        r.release()
        assert seen["connections"] == 2 and [len(body) for _, _, body in seen["requests"]] == [2, 3]
        await pool.close()
        server.close()

    run(main())


def test_failures_are_h1_errors_or_timeouts() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: dict[str, Any]) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: dict[str, Any]) -> None:
        await read_request(reader)
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        await writer.drain()

    async def main() -> None:
        pool = H1Pool(10, 5)
        server, url, _ = await serve(silent)
        with pytest.raises(TimeoutError):
            await pool.request("POST", url, {}, b"{}", 0.2, whole=True)
        server.close()
        server, url, _ = await serve(garbage)
        with pytest.raises(H1Error, match="invalid HTTP"):
            await pool.request("POST", url, {}, b"{}", 5, whole=True)
        server.close()
        await server.wait_closed()
        with pytest.raises(H1Error, match="ConnectionRefused"):
            await pool.request("POST", url, {}, b"{}", 5, whole=True)
        with pytest.raises(H1Error, match="line break"):
            await pool.request("POST", url, {"x-evil": "a\r\nHost: b"}, b"{}", 5, whole=True)
        await pool.close()

    run(main())


def test_stream_pieces_arrive_as_sent_and_idle_timeout_fires() -> None:
    async def streaming(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: dict[str, Any]) -> None:
        await read_request(reader)
        close = "Connection: close\r\n" if seen["connections"] == 1 else ""  # the next call: a new connection
        writer.write(
            f"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n{close}Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        for i in range(3):
            event = f"data: {i}\n\n".encode()
            writer.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
            await writer.drain()
            await asyncio.sleep(0.02)
        if seen["connections"] == 1:
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            await asyncio.sleep(0.5)
        else:
            await asyncio.sleep(5)  # goes silent mid-stream

    async def main() -> None:
        server, url, _ = await serve(streaming)
        pool = H1Pool(10, 5)
        r = await pool.request("POST", url, {}, b"{}", 5, whole=False)
        assert r.status == 200 and r.headers["content-type"] == "text/event-stream"
        assert b"".join([p async for p in r.pieces(5)]) == b"data: 0\n\ndata: 1\n\ndata: 2\n\n"
        r.release()
        r = await pool.request("POST", url, {}, b"{}", 5, whole=False)
        got = []
        with pytest.raises(TimeoutError):
            async for piece in r.pieces(0.2):
                got.append(piece)
        assert b"".join(got) == b"data: 0\n\ndata: 1\n\ndata: 2\n\n"
        r.release()
        await pool.close()
        server.close()

    run(main())


def test_large_stream_with_back_pressure_arrives_whole() -> None:
    block = bytes(range(256)) * 256  # 64 KiB

    async def big(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: dict[str, Any]) -> None:
        await read_request(reader)
        writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {len(block) * 64}\r\n\r\n".encode())
        for _ in range(64):
            writer.write(block)
            await writer.drain()

    async def main() -> None:
        server, url, _ = await serve(big)
        pool = H1Pool(10, 5)
        r = await pool.request("POST", url, {}, b"{}", 5, whole=False)
        total = 0
        async for piece in r.pieces(5):
            total += len(piece)
            await asyncio.sleep(0)
        assert total == len(block) * 64
        r.release()
        await pool.close()
        server.close()

    run(main())


def test_tls_with_a_given_ca_bundle() -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)

    async def main() -> None:
        server, url, seen = await serve(keep_answering, tls=server_ctx)
        pool = H1Pool(10, 5, client_ctx)
        for _ in range(2):
            r = await pool.request("POST", url, {}, b"abc", 5, whole=True)
            assert (r.status, await r.read()) == (200, b'{"echo": 3}')
            r.release()
        assert seen["connections"] == 1
        await pool.close()
        untrusting = H1Pool(10, 5)  # the system store does not know this CA
        with pytest.raises(H1Error, match="CERTIFICATE_VERIFY_FAILED"):
            await untrusting.request("POST", url, {}, b"abc", 5, whole=True)
        server.close()

    run(main())


def test_an_answer_nobody_asked_for_retires_the_idle_connection() -> None:
    async def then_408(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: dict[str, Any]) -> None:
        await read_request(reader)
        writer.write(answer(b'{"first": true}'))
        await writer.drain()
        await asyncio.sleep(0.02)
        writer.write(answer(b'{"error": "idle"}', status="408 Request Timeout"))  # as some servers do
        await writer.drain()
        await keep_answering(reader, writer, seen)

    async def main() -> None:
        server, url, seen = await serve(then_408)
        pool = H1Pool(10, 5)
        r = await pool.request("POST", url, {}, b"{}", 5, whole=True)
        assert await r.read() == b'{"first": true}'
        r.release()
        await until(lambda: all(c.closed for idle in pool._idle.values() for c in idle), "the 408 to retire it")
        r = await pool.request("POST", url, {}, b"ab", 5, whole=True)
        assert (r.status, await r.read()) == (200, b'{"first": true}')  # a new connection, a real answer
        r.release()
        assert seen["connections"] == 2
        await pool.close()
        server.close()

    run(main())


async def forward_proxy(seen: dict[str, Any]) -> tuple[asyncio.Server, Proxy]:
    """A loopback forward proxy: CONNECT opens a byte pipe to the target (407 without the right
    credentials); absolute-form requests are answered by the proxy itself with what it received."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line, headers, body = await read_request(reader)
        seen.setdefault("lines", []).append(line)
        seen["auth"] = headers.get("proxy-authorization")
        if headers.get("proxy-authorization") != "Basic dTpwIHc=":  # u:p w
            writer.write(answer(b"{}", status="407 Proxy Authentication Required"))
            await writer.drain()
            writer.close()
            return
        if line.startswith("CONNECT "):
            host, port = line.split()[1].rsplit(":", 1)
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
            return
        writer.write(answer(f'{{"via": "proxy", "body": {len(body)}}}'.encode()))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, Proxy.from_url(f"http://u:p%20w@127.0.0.1:{port}")


def test_https_through_a_forward_proxy_tunnel_and_http_in_absolute_form() -> None:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)

    async def main() -> None:
        upstream, url, up_seen = await serve(keep_answering, tls=server_ctx)
        seen: dict[str, Any] = {}
        proxy_server, proxy = await forward_proxy(seen)
        pool = H1Pool(10, 5, client_ctx, proxy)
        for _ in range(2):
            r = await pool.request("POST", url, {}, b"abcd", 5, whole=True)
            assert (r.status, await r.read()) == (200, b'{"echo": 4}')
            r.release()
        port = url.split(":")[2].split("/")[0]
        assert seen["lines"] == [f"CONNECT 127.0.0.1:{port} HTTP/1.1"]  # one tunnel, kept alive
        assert up_seen["requests"][0][0] == "POST /v1/chat?x=1 HTTP/1.1"  # the upstream sees origin form
        r = await pool.request("POST", "http://example.internal:8080/v1/chat", {}, b"xy", 5, whole=True)
        assert (r.status, await r.read()) == (200, b'{"via": "proxy", "body": 2}')
        r.release()
        assert seen["lines"][-1] == "POST http://example.internal:8080/v1/chat HTTP/1.1"
        await pool.close()
        refused = H1Pool(10, 5, client_ctx, Proxy(proxy.host, proxy.port, None))
        with pytest.raises(H1Error, match=r"refused the tunnel .* HTTP 407"):
            await refused.request("POST", url, {}, b"{}", 5, whole=True)
        proxy_server.close()
        upstream.close()

    run(main())


# -- Conformance: scripted server bytes per framing (see tests/wire/scripted.py) ----------------------

URL = "http://upstream.test/v1/chat"
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes


async def exchange(pool: H1Pool, whole: bool = True, headers: dict[str, str] | None = None) -> Answer:
    """One POST through the pool; the body read whole (`read`) or as a stream (`pieces`)."""
    response = await pool.request("POST", URL, headers or {"Content-Type": "application/json"}, b"{}", 5.0, whole)
    try:
        body = await response.read() if whole else b"".join([piece async for piece in response.pieces(5.0)])
    finally:
        response.release()
    return Answer(response.status, response.headers, body)


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


GZIP_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%b" % (
    len(gzipped(b"hello gzip")),
    gzipped(b"hello gzip"),
)
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n"
    b'5;name=value;quoted="a b"\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n'
)
# name, the server's reads for the first request, it closes afterwards, expected body, connection kept
FRAMINGS: list[tuple[str, list[bytes], bool, bytes, bool]] = [
    ("content-length", [b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"], False, b"hello", True),
    ("content-length-zero", [b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"], False, b"", True),
    ("chunked-with-extensions-and-trailers", [CHUNKED], False, b"hello world", True),
    ("read-until-close", [b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhel", b"lo"], True, b"hello", False),
    (
        "interim-100-and-103-then-the-answer",
        [b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", OK],
        False,
        b"ok",
        True,
    ),
    (
        "final-transfer-coding-not-chunked-reads-until-close",
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, br\r\n\r\nhel", b"lo"],
        True,
        b"hello",
        False,
    ),
    (
        "chunked-as-the-final-coding-of-two-header-lines",
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: br\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"],
        False,
        b"hello",
        True,
    ),
    ("204-has-no-body", [b"HTTP/1.1 204 No Content\r\n\r\n"], False, b"", True),
    (
        "304-has-no-body-whatever-its-length",
        [b"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n"],
        False,
        b"",
        True,
    ),
    ("connection-close", [b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"], True, b"ok", False),
    ("http-1.0", [b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"], False, b"ok", False),
    (
        "http-1.0-keep-alive",
        [b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"],
        False,
        b"ok",
        True,
    ),
    (
        "gzip",
        [GZIP_ANSWER],
        False,
        b"hello gzip",
        True,
    ),
    (
        "deflate",
        [
            b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"%x\r\n%b\r\n0\r\n\r\n" % (len(zlib.compress(b"hello deflate")), zlib.compress(b"hello deflate"))
        ],
        False,
        b"hello deflate",
        True,
    ),
]


@pytest.mark.parametrize("whole", [True, False], ids=["read", "stream"])
@pytest.mark.parametrize(("reads", "closes", "body", "kept"), [f[1:] for f in FRAMINGS], ids=[f[0] for f in FRAMINGS])
def test_each_framing_yields_its_body_and_keeps_the_connection_only_when_allowed(
    reads: list[bytes], closes: bool, body: bytes, kept: bool, whole: bool
) -> None:
    async def main() -> None:
        first = Script([reads], close=True) if closes else Script([reads, [OK]])
        pool = ScriptedPool(first, Script.of(OK))
        answer = await exchange(pool, whole)
        assert answer.body == body
        assert (await exchange(pool)).body == b"ok"
        assert pool.opened == ([first] if kept else [first, pool.opened[1]])
        await pool.close()

    run(main())


def test_interim_answers_and_trailers_do_not_leak_into_the_answers_headers() -> None:
    async def main() -> None:
        interim = b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
        for whole in (True, False):
            pool = ScriptedPool(Script.of(interim + CHUNKED))
            answer = await exchange(pool, whole)
            assert answer.status == 200 and answer.body == b"hello world"
            assert sorted(answer.headers) == ["Content-Type", "Transfer-Encoding"]

    run(main())


@pytest.mark.parametrize("whole", [True, False], ids=["read", "stream"])
@pytest.mark.parametrize(
    "wire",
    [
        b"HTTP/1.1 100 Continue\r\n\r\n" + CHUNKED,
        GZIP_ANSWER,
    ],
    ids=["interim-then-chunked", "gzip-content-length"],
)
def test_an_answer_split_at_every_byte_boundary_reads_the_same(wire: bytes, whole: bool) -> None:
    async def main() -> None:
        expected = await exchange(ScriptedPool(Script.of(wire)), whole)
        assert expected.status == 200 and expected.body in (b"hello world", b"hello gzip")
        for reads in every_cut(wire):
            script = Script([reads, [OK]])
            pool = ScriptedPool(script)
            answer = await exchange(pool, whole)
            assert (answer.status, dict(answer.headers), answer.body) == (
                expected.status,
                dict(expected.headers),
                expected.body,
            ), reads
            assert (await exchange(pool)).body == b"ok"  # and the connection is still good for the next one
            assert pool.opened == [script]

    run(main())


BROKEN: list[tuple[str, list[bytes], str]] = [
    ("invalid-status-code", [b"HTTP/1.1 abc OK\r\n\r\n"], "invalid HTTP"),
    ("status-code-of-four-digits", [b"HTTP/1.1 2000 OK\r\n\r\n"], "invalid HTTP"),
    ("not-http-at-all", [b"hello world\r\n\r\n"], "invalid HTTP"),
    (
        "obsolete-header-folding",
        [b"HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\nContent-Length: 2\r\n\r\nok"],
        "invalid HTTP",
    ),
    ("bare-lf-line-ends", [b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok"], "invalid HTTP"),
    (
        "cr-inside-a-header-value",
        [b"HTTP/1.1 200 OK\r\nX-A: a\rInjected: 1\r\nContent-Length: 2\r\n\r\nok"],
        "invalid HTTP",
    ),
    ("nul-inside-a-header-value", [b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok"], "invalid HTTP"),
    ("space-before-the-colon", [b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok"], "invalid HTTP"),
    (
        "content-length-and-chunked",
        [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"],
        "invalid HTTP",
    ),
    ("two-content-lengths", [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"], "invalid HTTP"),
    ("negative-content-length", [b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"], "invalid HTTP"),
    ("bad-chunk-size", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n"], "invalid HTTP"),
    (
        "switching-protocols",
        [b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n"],
        "switched protocols",
    ),
    ("closed-mid-head", [b"HTTP/1.1 200 OK\r\nContent-Len"], "closed mid-answer"),
    ("closed-mid-body", [b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"], "closed mid-answer"),
    ("closed-mid-chunk", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"], "closed mid-answer"),
    (
        "closed-before-the-last-chunk",
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"],
        "closed mid-answer",
    ),
    (
        "corrupt-gzip",
        [b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello"],
        "corrupt compressed",
    ),
]


@pytest.mark.parametrize("whole", [True, False], ids=["read", "stream"])
@pytest.mark.parametrize(("reads", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_answer_is_an_h1_error_and_its_connection_is_never_reused(
    reads: list[bytes], message: str, whole: bool
) -> None:
    async def main() -> None:
        broken = Script([reads], close=True)
        pool = ScriptedPool(broken, Script.of(OK))
        with pytest.raises(H1Error, match=message):
            await exchange(pool, whole)
        assert (await exchange(pool)).body == b"ok"
        assert len(pool.opened) == 2 and len(broken.written) == 1

    run(main())


TINY = ResponseLimits(max_response_header_bytes=128, max_response_body_bytes=16)
OVERSIZE: list[tuple[str, list[bytes], str]] = [
    ("head-in-one-read", [b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200 + b"\r\n\r\n"], "max_response_header_bytes"),
    (
        "head-one-byte-a-read",
        [bytes([c]) for c in b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200],
        "max_response_header_bytes",
    ),
    ("a-flood-of-interim-answers", [b"HTTP/1.1 103 Early Hints\r\n\r\n"] * 10, "max_response_header_bytes"),
    ("content-length-body", [b"HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n" + b"a" * 17], "max_response_body_bytes"),
    (
        "chunked-body",
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b"9\r\naaaaaaaaa\r\n" * 2, b"0\r\n\r\n"],
        "max_response_body_bytes",
    ),
    ("until-close-body", [b"HTTP/1.1 200 OK\r\n\r\n", b"a" * 10, b"a" * 10], "max_response_body_bytes"),
    (
        "inflated-body",
        [
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%b"
            % (len(gzipped(b"a" * 1000)), gzipped(b"a" * 1000))
        ],
        "max_response_body_bytes",
    ),
]


@pytest.mark.parametrize(("reads", "option"), [o[1:] for o in OVERSIZE], ids=[o[0] for o in OVERSIZE])
def test_an_answer_past_a_cap_fails_naming_the_option_that_raises_it(reads: list[bytes], option: str) -> None:
    async def main() -> None:
        pool = ScriptedPool(Script([reads], close=True), limits=TINY)
        with pytest.raises(ResponseTooLarge) as caught:
            await exchange(pool)
        assert caught.value.option == option
        assert caught.value.limit == getattr(TINY, option)

    run(main())


STREAM_CAPS = ["head-in-one-read", "head-one-byte-a-read", "a-flood-of-interim-answers", "inflated-body"]


@pytest.mark.parametrize(("reads", "option"), [o[1:] for o in OVERSIZE if o[0] in STREAM_CAPS], ids=STREAM_CAPS)
def test_a_stream_past_the_head_or_inflation_cap_fails_rather_than_ending_short(
    reads: list[bytes], option: str
) -> None:
    async def main() -> None:
        pool = ScriptedPool(Script([reads], close=True), limits=TINY)
        with pytest.raises(ResponseTooLarge) as caught:
            await exchange(pool, whole=False)
        assert caught.value.option == option

    run(main())


def test_a_head_exactly_at_the_cap_is_accepted() -> None:
    async def main() -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Pad: "
        wire = head + b"a" * (TINY.max_response_header_bytes - len(head) - 4) + b"\r\n\r\n"
        assert len(wire) == TINY.max_response_header_bytes
        answer = await exchange(ScriptedPool(Script.of([wire, b"ok"]), limits=TINY))
        assert answer.body == b"ok"

    run(main())


@pytest.mark.parametrize("where", ["name", "value"])
@pytest.mark.parametrize("breaker", ["\r\n", "\n", "\r", "\0"])
def test_a_request_header_that_could_inject_a_line_is_refused_before_anything_is_written(
    where: str, breaker: str
) -> None:
    async def main() -> None:
        script = Script.of(OK)
        pool = ScriptedPool(script)
        bad = f"x{breaker}Injected: 1"
        with pytest.raises(H1Error, match="line break or NUL"):
            await exchange(pool, headers={bad: "v"} if where == "name" else {"X-Tag": bad})
        assert script.written == [] and pool.opened == []

    run(main())


def test_a_request_is_one_write_of_the_exact_bytes() -> None:
    async def main() -> None:
        script = Script.of(OK)
        await exchange(ScriptedPool(script), headers={"Authorization": "Bearer k"})
        assert script.written == [
            b"POST /v1/chat HTTP/1.1\r\nHost: upstream.test\r\nAuthorization: Bearer k\r\nContent-Length: 2\r\n\r\n{}"
        ]

    run(main())


def test_a_stream_nobody_reads_stops_reading_at_the_pause_mark_and_resumes_when_read() -> None:
    async def main() -> None:
        piece = b"x" * 65536
        head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        chunk = b"%x\r\n%b\r\n" % (len(piece), piece)
        reads = [head] + [chunk] * 48 + [b"0\r\n\r\n"]  # 3 MiB of body, three times the pause mark
        script = Script([reads, [OK]])
        pool = ScriptedPool(script)
        response = await pool.request("POST", URL, {}, b"{}", 5.0, whole=False)
        await script.paused.wait()  # nobody reads the body yet: the client holds the transport
        assert PAUSE_AT <= script.delivered - len(head) < PAUSE_AT + len(chunk)
        body = b"".join([part async for part in response.pieces(5.0)])
        response.release()
        assert body == piece * 48 and not script.paused.is_set()
        assert (await exchange(pool)).body == b"ok" and pool.opened == [script]

    run(main())
