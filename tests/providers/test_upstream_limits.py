"""A hostile upstream cannot make the gateway hold unbounded bytes or time: every cap ends the call
with a clean 502 (504 for deadlines) that names the cap and the provider option raising it.

The upstream is a raw loopback server that answers exactly as scripted; the client is the official
`openai` SDK talking to a real gateway whose `openai` provider points at it.
"""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import openai
import pytest

from rungway.wire.http1 import H1Pool, ResponseLimits, ResponseTooLarge
from tests.servers import Gateway, LoopThread
from tests.wire.test_http1 import answer, read_request, run

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  hostile:
    type: openai
    base_url: {base_url}
    api_key: k
%s
models:
  gpt-4o-mini: {provider: hostile, model: gpt-4o-mini}
workloads:
  test: {team: qa}
"""
SSE_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


class HostileUpstream:
    """A loopback TCP server in its own thread that runs `script` for every connection."""

    def __init__(self, script: Script) -> None:
        self.loops = LoopThread()

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await read_request(reader)
                await script(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        async def start() -> asyncio.Server:
            return await asyncio.start_server(on_connect, "127.0.0.1", 0)

        self.server: asyncio.Server = self.loops.run(start())
        self.base_url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/v1"

    def stop(self) -> None:
        self.loops.loop.call_soon_threadsafe(self.server.close)
        self.loops.stop()


@pytest.fixture
def hostile(gateway_factory: Callable[..., Gateway]) -> Iterator[Callable[[Script, str], Gateway]]:
    upstreams: list[HostileUpstream] = []

    def start(script: Script, options: str = "") -> Gateway:
        options = options or "    timeout_s: 5"
        upstream = HostileUpstream(script)
        upstreams.append(upstream)
        text = (CONFIG % options).replace("{base_url}", upstream.base_url)
        return gateway_factory(text)

    try:
        yield start
    finally:
        for upstream in upstreams:
            upstream.stop()


def chat(gateway: Gateway, stream: bool = False) -> Any:
    client = gateway.sdk()
    messages: Any = [{"role": "user", "content": "hi"}]
    if stream:
        return list(client.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True))
    return client.chat.completions.create(model="gpt-4o-mini", messages=messages)


async def huge_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\n")
    for i in range(20_000):  # ~1.2 MB of headers, never ending in a blank line
        writer.write(f"x-padding-{i}: {'a' * 50}\r\n".encode())
        await writer.drain()


async def big_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    body = b'{"choices": [], "pad": "' + b"a" * 3_000_000 + b'"}'
    writer.write(answer(body))
    await writer.drain()


async def gzip_bomb(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(answer(gzip.compress(b" " * 30_000_000), "Content-Encoding: gzip"))
    await writer.drain()


async def endless_event(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(SSE_HEAD + chunk(b"data: {"))
    for _ in range(64):  # 4 MB of one event that never ends
        writer.write(chunk(b"x" * 65536))
        await writer.drain()
    await asyncio.sleep(30)


async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(SSE_HEAD)
    for _ in range(3000):  # one byte every 10 ms for 30 s: never silent for long
        writer.write(chunk(b" "))
        await writer.drain()
        await asyncio.sleep(0.01)


@pytest.mark.parametrize(
    ("script", "options", "stream", "option"),
    [
        (huge_headers, "", False, "max_response_header_bytes"),
        (big_body, "    max_response_body_bytes: 1000000", False, "max_response_body_bytes"),
        (gzip_bomb, "    max_response_body_bytes: 1000000", False, "max_response_body_bytes"),
        (endless_event, "    max_sse_event_bytes: 1000000", True, "max_sse_event_bytes"),
    ],
    ids=["headers", "body", "gzip-bomb", "sse-event"],
)
def test_an_upstream_answer_past_a_cap_is_a_502_naming_the_cap_and_its_option(
    hostile: Callable[[Script, str], Gateway], script: Script, options: str, stream: bool, option: str
) -> None:
    gateway = hostile(script, options)
    with pytest.raises(openai.APIStatusError) as caught:
        chat(gateway, stream)
    assert caught.value.status_code == 502
    error = caught.value.body
    assert isinstance(error, dict) and error["code"] == "upstream_response_too_large"
    assert f"`{option}`" in error["message"] and "hostile" in error["message"]


def test_a_stream_that_trickles_past_its_total_deadline_is_cut_off(hostile: Callable[[Script, str], Gateway]) -> None:
    gateway = hostile(trickle, "    timeout_s: 1\n    stream_idle_timeout_s: 1")
    with pytest.raises(openai.APIStatusError) as caught:
        chat(gateway, stream=True)
    assert caught.value.status_code == 504
    error = caught.value.body
    assert isinstance(error, dict) and "did not end within 1s" in error["message"] and "`timeout_s`" in error["message"]


def test_a_gzip_bomb_is_never_inflated_past_the_cap() -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)  # ~50 KB on the wire

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer(bomb, "Content-Encoding: gzip"))
        await writer.drain()
        writer.close()

    async def main() -> int:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/chat"
        pool = H1Pool(4, 5, limits=ResponseLimits(max_response_body_bytes=1_000_000))
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLarge) as caught:
                await pool.request("POST", url, {}, b"{}", 5, whole=True)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            await pool.close()
            server.close()
        assert caught.value.option == "max_response_body_bytes"
        return peak

    assert run(main()) < 8_000_000  # the cap plus the wire bytes, not the 50 MB the bomb inflates to
