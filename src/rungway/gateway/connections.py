"""Bounds on client connections: a total and a per-client-IP cap, a request-head deadline, an idle
keep-alive timeout.

Why it exists: aiohttp accepts connections until the process runs out of file descriptors and keeps
one that never completes a request head until its keep-alive timeout (an hour by default), so a few
thousand idle or trickling clients (slowloris) lock every other client out. `GatewayRunner` serves
the app through `LimitedRequestHandler`, which answers a connection past a cap with a 503 and closes
it at once, and closes one whose request head has not arrived within `server.header_timeout_s`
(counted from connecting, or from the first byte of a later request on a kept-alive connection).

Behind a load balancer every client shares its address: raise `server.max_connections_per_ip`
to the balancer's pool size there.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from http import HTTPStatus
from typing import Any, cast

import orjson
from aiohttp import StreamReader, web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_server import Server

from rungway.domain.ids import new_id
from rungway.errors import error_body
from rungway.gateway.dispatch import GatewayDispatch
from rungway.settings.config import ServerConfig

log = logging.getLogger("rungway.server")
FILES_KEPT_FOR_THE_REST = 200  # the store, Redis, upstream pools and logs need descriptors too


def _busy_answer(message: str) -> bytes:
    body = orjson.dumps(error_body(message, "overloaded_error", "too_many_connections"))
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
        f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class ConnectionCounts:
    """Open client connections, in total and per client IP, against the configured caps."""

    __slots__ = ("max_per_ip", "max_total", "per_ip", "total")

    def __init__(self, max_total: int, max_per_ip: int) -> None:
        self.max_total = max_total
        self.max_per_ip = max_per_ip
        self.total = 0
        self.per_ip: dict[str, int] = {}

    def admit(self, ip: str) -> bytes | None:
        """Count a new connection, or return the 503 answer that refuses it."""
        if self.total >= self.max_total:
            return _busy_answer(
                f"the gateway holds its maximum of {self.max_total} connections (server.max_connections)"
            )
        held = self.per_ip.get(ip, 0)
        if held >= self.max_per_ip:
            return _busy_answer(
                f"{ip} holds the maximum of {self.max_per_ip} connections per client (server.max_connections_per_ip)"
            )
        self.total += 1
        self.per_ip[ip] = held + 1
        return None

    def release(self, ip: str) -> None:
        self.total -= 1
        held = self.per_ip.pop(ip, 1) - 1
        if held:
            self.per_ip[ip] = held


class LimitedRequestHandler(RequestHandler):
    """aiohttp's connection handler, plus the connection caps and the request-head deadline."""

    __slots__ = ("_counts", "_head_timeout_s", "_head_timer", "_ip", "_last_body", "_refused")

    def __init__(self, manager: Server, *, counts: ConnectionCounts, header_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._counts = counts
        self._head_timeout_s = header_timeout_s
        self._head_timer: asyncio.TimerHandle | None = None
        self._ip = ""
        self._refused = False
        self._last_body: StreamReader | None = None  # the body of the last request whose head arrived

    def handle_error(
        self, request: BaseRequest, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> web.StreamResponse:
        """A request aiohttp could not parse (a bad header, a Content-Encoding it cannot read): the OpenAI
        error shape and an `x-request-id`, like every other answer, instead of aiohttp's plain text."""
        plain = super().handle_error(request, status, exc, message)  # logs, and refuses if bytes were sent
        detail = message or (str(getattr(exc, "message", "")) or HTTPStatus(status).phrase)
        if "content-encoding" in detail.lower():  # aiohttp's advice is for the server's owner, not the caller
            detail = "This Content-Encoding is not supported; send the body as is, gzip or deflate."
        kind = "invalid_request_error" if 400 <= status < 500 else "internal_error"
        body = orjson.dumps(error_body(detail.strip()[:500], kind, "bad_http_request" if status < 500 else kind))
        answer = web.Response(
            status=plain.status, body=body, content_type="application/json", headers={"x-request-id": new_id("req_")}
        )
        answer.force_close()
        return answer

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        self._ip = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        refusal = self._counts.admit(self._ip)
        if refusal is not None:
            self._refused = True
            writer = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's
            writer.write(refusal)
            writer.close()
            return
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._refused:
            return
        self._counts.release(self._ip)
        self._disarm_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # aiohttp's private state, pinned by tests/gateway/test_connections.py: `_request_count` grows
        # when a request head is parsed, and the parsed (head, body) waits in `_messages` until the
        # handler task takes it, which cannot happen before this method returns.
        if self._refused:  # bytes that raced the refusal: the connection is closing
            return
        heads = self._request_count
        super().data_received(data)
        if self._request_count != heads:
            self._disarm_head_timer()
            self._last_body = self._messages[-1][1] if self._messages else None
        elif self._head_timer is None and (self._last_body is None or self._last_body.is_eof()):
            self._arm_head_timer()  # not body bytes: the first bytes of another request's head

    def _arm_head_timer(self) -> None:
        self._head_timer = self._loop.call_later(self._head_timeout_s, self._head_overdue)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_overdue(self) -> None:
        self._head_timer = None
        self.force_close()


class LimitedServer(Server):
    """aiohttp's `Server` making `LimitedRequestHandler`s that share one `ConnectionCounts`."""

    def __init__(self, base: Server, config: ServerConfig, handler: Any = None) -> None:
        # The same arguments `Application._make_handler` gave `base` (its kwargs are private to it);
        # `handler` (the gateway's dispatch) stands in for the app's own when given.
        super().__init__(
            base.request_handler if handler is None else handler,
            request_factory=base.request_factory,
            handler_cancellation=base.handler_cancellation,
            loop=base._loop,
            **base._kwargs,
        )
        self.counts = ConnectionCounts(config.max_connections, config.max_connections_per_ip)
        self._header_timeout_s = config.header_timeout_s

    def __call__(self) -> RequestHandler:
        return LimitedRequestHandler(
            self, counts=self.counts, header_timeout_s=self._header_timeout_s, loop=self._loop, **self._kwargs
        )


class GatewayRunner(web.AppRunner):
    """The AppRunner `rungway serve` uses: the app behind `server`'s connection bounds."""

    __slots__ = ("_config",)

    def __init__(self, app: web.Application, config: ServerConfig, **kwargs: Any) -> None:
        super().__init__(app, keepalive_timeout=config.keepalive_timeout_s, **kwargs)
        self._config = config
        warn_if_file_limit_is_below(config.max_connections)

    async def _make_server(self) -> Server:
        return LimitedServer(await super()._make_server(), self._config, GatewayDispatch(self._app))


def warn_if_file_limit_is_below(max_connections: int) -> None:
    """Past the process's file limit accept() fails before the cap is reached: say so at start."""
    if sys.platform == "win32":
        return
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < max_connections + FILES_KEPT_FOR_THE_REST:
        log.warning(
            "server.max_connections is %d but the process may open only %d files (ulimit -n): raise the limit"
            " or lower server.max_connections below %d, else clients are refused by the system, not with a 503",
            max_connections,
            soft,
            max(soft - FILES_KEPT_FOR_THE_REST, 1),
        )
