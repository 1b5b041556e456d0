"""`HttpModelClient` against loopback servers that misbehave: every failure is a ModelCallError, bounded."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
from aiohttp import web

from rungway.evals.scorers import ChatRequest, ModelCallError
from rungway.evals.scorers.http_client import MAX_REPLY_BYTES, HttpModelClient
from tests.servers import AppServer


async def huge(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    chunk = b" " * 1_048_576
    for _ in range(MAX_REPLY_BYTES // len(chunk) + 2):
        await response.write(chunk)
    return response


async def not_json(request: web.Request) -> web.Response:
    return web.Response(text="<html>proxy error</html>")


async def no_choices(request: web.Request) -> web.Response:
    return web.json_response({"choices": []})


async def short_embeddings(request: web.Request) -> web.Response:
    return web.json_response({"data": [{"index": 0, "embedding": [1.0, 0.0]}]})


@pytest.fixture
def misbehaving() -> Iterator[AppServer]:
    app = web.Application()
    app.router.add_post("/huge/v1/chat/completions", huge)
    app.router.add_post("/html/v1/chat/completions", not_json)
    app.router.add_post("/empty/v1/chat/completions", no_choices)
    app.router.add_post("/short/v1/embeddings", short_embeddings)
    server = AppServer(app)
    try:
        yield server
    finally:
        server.stop()


def call(base_url: str, embed: bool = False) -> None:
    async def go() -> None:
        client = HttpModelClient(base_url, "key", timeout_s=30)
        try:
            if embed:
                await client.embed("m", ["a", "b"])
            else:
                await client.chat(ChatRequest("m", (("user", "hi"),)))
        finally:
            await client.close()

    asyncio.run(go())


@pytest.mark.parametrize(
    ("path", "embed", "message"),
    [
        ("/huge", False, r"reply over \d+ bytes"),
        ("/html", False, r"reply is not JSON"),
        ("/empty", False, r"no message in the reply"),
        ("/short", True, r"1 vectors for 2 inputs"),
        ("/nowhere", False, r"gateway answered 404"),
    ],
)
def test_each_failure_is_a_model_call_error(misbehaving: AppServer, path: str, embed: bool, message: str) -> None:
    with pytest.raises(ModelCallError, match=message):
        call(misbehaving.base_url + path, embed)


def test_an_unreachable_gateway_is_a_model_call_error() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ModelCallError, match=r"ClientConnectorError|ClientOSError"):
        call(f"http://127.0.0.1:{port}")
