"""The upstream HTTP/1.1 client against raw loopback servers that answer exactly as scripted."""

from __future__ import annotations

import asyncio
import gzip
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trustme
import uvloop

from rungway.providers.h1 import H1Pool
from rungway.providers.h1_address import H1Error, Proxy, parse_target

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


def test_parse_target_keeps_query_and_host_header() -> None:
    t = parse_target("https://example.openai.azure.com/openai/deployments/d/chat?api-version=2024-10-21")
    assert (t.scheme, t.host, t.port, t.host_header) == (
        "https",
        "example.openai.azure.com",
        443,
        "example.openai.azure.com",
    )
    assert t.path == "/openai/deployments/d/chat?api-version=2024-10-21"
    assert parse_target("http://[::1]:8080").host_header == "[::1]:8080"
    with pytest.raises(H1Error):
        parse_target("ftp://x")


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
        await asyncio.sleep(0.1)
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


def test_proxy_urls() -> None:
    assert Proxy.from_url("http://proxy.internal:3128") == Proxy("proxy.internal", 3128, None)
    assert Proxy.from_url("http://a:b@p").authorization == "Basic YTpi"
    with pytest.raises(H1Error, match="http:// proxy"):
        Proxy.from_url("socks5://p:1080")
