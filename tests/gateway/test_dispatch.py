"""Gateway calls skip aiohttp's router and middlewares; everything else, and every odd request, does not."""

from __future__ import annotations

import json
import socket
from collections.abc import Awaitable, Callable

from aiohttp import web

from rungway.gateway.dispatch import GatewayDispatch, add_gateway_path, management_only
from tests.servers import Gateway

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BODY = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}).encode()


async def answer(request: web.Request) -> web.StreamResponse:
    return web.Response(text="ok")


def small_app(*middlewares: object) -> web.Application:
    app = web.Application(middlewares=middlewares)  # type: ignore[arg-type]
    app.router.add_post("/v1/call", answer)
    app.router.add_post("/api/thing", answer)
    add_gateway_path(app, "/v1/call")
    return app


def test_only_declared_gateway_paths_are_direct() -> None:
    @management_only
    @web.middleware
    async def marked(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await handler(request)

    assert GatewayDispatch(small_app()).direct_paths == {"/v1/call"}
    assert GatewayDispatch(small_app(marked)).direct_paths == {"/v1/call"}


def test_a_middleware_not_marked_management_only_turns_the_direct_path_off() -> None:
    @web.middleware
    async def sees_everything(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await handler(request)

    assert GatewayDispatch(small_app(sees_everything)).direct_paths == frozenset()


def test_the_server_takes_the_direct_path_for_every_gateway_endpoint(gateway: Gateway) -> None:
    # Every built-in middleware (JSON errors, the audit capture) is management-only: a new one that is
    # not would silently send every call back through aiohttp's dispatch.
    server = gateway.runner.server
    assert server is not None
    dispatch = server.request_handler
    assert isinstance(dispatch, GatewayDispatch)
    assert {"/v1/chat/completions", "/chat/completions", "/v1/embeddings", "/v1/moderations"} <= dispatch.direct_paths
    assert {"/v1/messages", "/v1/responses", "/v1/completions"} <= dispatch.direct_paths


def raw(gateway: Gateway, head: bytes, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as sock:
        sock.sendall(head + body)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        top, _, rest = data.partition(b"\r\n\r\n")
        if top.startswith(b"HTTP/1.1 100"):  # Expect: 100-continue was honoured
            while b"\r\n\r\n" not in rest:
                rest += sock.recv(65536)
            top, _, rest = rest.partition(b"\r\n\r\n")
        lines = top.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            rest += sock.recv(65536)
        return int(lines[0].split()[1]), headers, rest


def post(gateway: Gateway, path: str, secret: str, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {secret}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\n{extra}Connection: close\r\n\r\n"
    ).encode()


def test_direct_and_dispatched_calls_answer_alike(gateway: Gateway) -> None:
    secret = gateway.create_key().secret
    direct = raw(gateway, post(gateway, "/v1/chat/completions", secret), BODY)
    with_query = raw(gateway, post(gateway, "/v1/chat/completions?api-version=1", secret), BODY)
    for status, headers, body in (direct, with_query):
        assert status == 200
        assert headers["x-request-id"].startswith("req_")  # the on_response_prepare signal still runs
        assert headers["x-rungway-trace-id"]
        assert json.loads(body)["choices"][0]["message"]["content"]


def test_expect_continue_takes_aiohttp_path(gateway: Gateway) -> None:
    secret = gateway.create_key().secret
    status, headers, body = raw(
        gateway, post(gateway, "/v1/chat/completions", secret, "Expect: 100-continue\r\n"), BODY
    )
    assert status == 200 and json.loads(body)["object"] == "chat.completion"
    assert headers["x-request-id"].startswith("req_")


def test_other_methods_and_paths_keep_aiohttp_answers(gateway: Gateway) -> None:
    status, headers, body = raw(gateway, b"GET /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
    assert status == 405 and "POST" in headers["allow"]
    assert json.loads(body)["error"]["code"] == "405"
    status, _, body = raw(
        gateway, b"POST /v1/nothing HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    assert status == 404 and json.loads(body)["error"]["type"] == "not_found_error"


def test_an_error_on_the_direct_path_is_the_gateway_error_shape(gateway: Gateway) -> None:
    status, headers, body = raw(gateway, post(gateway, "/v1/chat/completions", "sk-wrong"), BODY)
    assert status == 401
    assert json.loads(body)["error"]["type"] == "authentication_error"
    assert headers["x-request-id"].startswith("req_")
