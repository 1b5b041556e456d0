"""A lean HTTP/1.1 client for upstream calls: keep-alive pool, one write per request, C parsing.

Every gateway call makes one upstream request, so the client's CPU is paid per call. aiohttp's
client measured ~55 µs of CPU per request on a loopback upstream, this one ~18 µs (asyncio
protocol + `httptools`, the llhttp parser Node.js uses; see docs/benchmarks.md). It does what
the upstream adapters need and no more: POST/GET with a body and Content-Length, responses with
Content-Length, chunked or read-until-close bodies, gzip/deflate if a server compresses anyway,
TLS with the system trust store (or a given CA bundle), a total deadline for whole answers, an
idle-read and a total deadline for streams, and stream back-pressure.

An upstream is not trusted to be small: `ResponseLimits` caps the bytes of a response head, of a
whole body and of a compressed body once inflated (inflation stops one byte past the cap, so a gzip
bomb costs at most the cap); past a cap the exchange fails with `ResponseTooLarge`. Trailers after a
chunked body are read and dropped, never merged into the headers. A failure found in an answer's last
read (a corrupt or oversize compressed body) fails the exchange even though the framing completed.

Re-sending: an LLM POST that reached the upstream may have run and been billed, so a request is
sent again (once, on a new connection) only when no byte of it can have reached the upstream: the
pooled connection was seen closed before the request was written. A reused connection that closes
after the request was written fails the call with `H1Error`; it is never re-sent.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

import httptools
from multidict import CIMultiDict, CIMultiDictProxy

from rungway.wire.http1_address import H1Error, Proxy, Target, clean_header, parse_target

PAUSE_AT = 1 << 20  # unread stream bytes at which the socket stops being read
KEEPALIVE_S = 60.0


class _Stale(Exception):
    """A pooled connection was found closed before the request was written: safe to send it elsewhere."""


@dataclass(frozen=True, slots=True)
class ResponseLimits:
    """The most an upstream answer may hold; the names are the provider options that set them."""

    max_response_header_bytes: int = 64 * 1024
    max_response_body_bytes: int = 128 * 1024 * 1024


class ResponseTooLarge(H1Error):
    """An answer went past one of `ResponseLimits`: `option` names the limit, `limit` its value."""

    def __init__(self, what: str, option: str, limit: int) -> None:
        super().__init__(f"{what} exceeded {limit} bytes")
        self.what = what
        self.option = option
        self.limit = limit


class StreamDeadline(TimeoutError):
    """A stream was still running at its total deadline (as opposed to going silent)."""


class H1Response:
    """An answer whose head has arrived; the body is read whole (`read`) or piece by piece (`pieces`)."""

    def __init__(self, conn: _Connection, status: int, headers: CIMultiDictProxy[str]) -> None:
        self._conn = conn
        self.status = status
        self.headers = headers
        self.idle_timeout_s = 300.0
        self.total_timeout_s = 600.0
        self.deadline: float | None = None  # the event loop's clock at which a stream is cut off

    async def read(self, idle_timeout_s: float | None = None) -> bytes:
        return await self._conn.read_all(idle_timeout_s)

    def pieces(self, idle_timeout_s: float, deadline: float | None = None) -> AsyncIterator[bytes]:
        """The body as it arrives; TimeoutError after `idle_timeout_s` without a byte, StreamDeadline
        at `deadline` (the event loop's clock) however fast bytes arrive."""
        return self._conn.iter_pieces(idle_timeout_s, deadline)

    def release(self) -> None:
        self._conn.release()


class _Connection(asyncio.Protocol):
    """One keep-alive connection and the exchange running on it."""

    def __init__(self, pool: H1Pool, key: tuple[str, str, int]) -> None:
        self.pool = pool
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self.reused = False
        self._reset()

    def _reset(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._head: list[tuple[bytes, bytes]] = []
        self._body: deque[bytes] = deque()
        self._unread = 0
        self._received = 0  # body bytes, after inflation
        self._head_bytes = 0  # bytes of the reads that began before the head was complete
        self._collect = False  # the whole body is being gathered in memory (its size is capped)
        self._paused = False
        self._whole = False
        self._got_bytes = False
        self._headers_done = False
        self._complete = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[Any] | None = None
        self._inflate: Any = None
        self._interim = False
        self._keep_alive = False
        self._status = 0

    # -- asyncio.Protocol ---------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # bytes on an idle connection (e.g. a 408 before closing): unusable
            self.abort()
            return
        self._got_bytes = True
        if not self._headers_done:
            self._head_bytes += len(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(H1Error("the upstream switched protocols"))
        except httptools.HttpParserError as exc:
            self._fail(H1Error(f"the upstream sent invalid HTTP: {exc}"))
            return
        cap = self.pool.limits.max_response_header_bytes
        if not self._headers_done and self._head_bytes > cap and self._error is None:
            self._fail(ResponseTooLarge("the response head", "max_response_header_bytes", cap))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._complete or self._error is not None:
            return
        if self._headers_done and not self._framed():
            self.on_message_complete()  # no Content-Length and not chunked: the body ends at close
            return
        if not self._got_bytes and self.reused:
            self._fail(
                H1Error(
                    "the upstream closed a reused keep-alive connection without answering; the request"
                    " was already sent and may have run, so it is not sent again"
                )
            )
        else:
            self._fail(H1Error(f"the connection closed mid-answer ({exc or 'EOF'})"))

    # -- httptools callbacks ------------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        if self._headers_done:
            return  # a trailer after a chunked body: never merged into the answer's headers (RFC 9110 6.5.1)
        self._head.append((name, value))

    def on_headers_complete(self) -> None:
        cap = self.pool.limits.max_response_header_bytes
        if self._head_bytes > cap and sum(len(n) + len(v) + 4 for n, v in self._head) > cap:
            # A whole oversize head inside one read (a read that was only large with body is let through).
            self._fail(ResponseTooLarge("the response head", "max_response_header_bytes", cap))
            return
        self._status = self._parser.get_status_code()
        if 100 <= self._status < 200:
            self._head.clear()  # an interim answer (100 Continue, 103 Early Hints): the real one follows
            self._interim = True
            return
        self._headers_done = True
        for name, value in self._head:
            if name.lower() == b"content-encoding" and value.strip().lower() in (b"gzip", b"deflate", b"x-gzip"):
                self._inflate = zlib.decompressobj(47)  # 32 + 15: gzip or zlib header, detected
        if not self._whole:
            self._wake(None)

    def on_body(self, body: bytes) -> None:
        if self._error is not None:
            return
        cap = self.pool.limits.max_response_body_bytes
        if self._inflate is not None:
            room = cap - self._received
            try:
                body = self._inflate.decompress(body, room + 1)  # never inflate past one byte over the cap
            except zlib.error as exc:
                self._fail(H1Error(f"the upstream sent a corrupt compressed body: {exc}"))
                return
            if len(body) > room:
                self._fail(ResponseTooLarge("the inflated response body", "max_response_body_bytes", cap))
                return
        self._received += len(body)
        if self._received > cap and (self._whole or self._collect):
            self._fail(ResponseTooLarge("the response body", "max_response_body_bytes", cap))
            return
        self._body.append(body)
        self._unread += len(body)
        if not self._whole:
            if self._unread >= PAUSE_AT and not self._paused and self.transport is not None:
                self._paused = True
                self.transport.pause_reading()
            self._wake(None)

    def on_message_complete(self) -> None:
        if self._interim:
            self._interim = False
            return
        self._complete = True
        self._keep_alive = self._parser.should_keep_alive()  # read now: the parser resets after this callback
        self._wake(None)

    # -- the exchange -------------------------------------------------------------------------
    def _framed(self) -> bool:
        """Whether the body has an end of its own: a Content-Length, or chunked as the final transfer coding
        (as the parser reads it; any other final coding runs to the close)."""
        last_coding = b""
        for name, value in self._head:
            lowered = name.lower()
            if lowered == b"content-length":
                return True
            if lowered == b"transfer-encoding":
                last_coding = value.rsplit(b",", 1)[-1].strip().lower()
        return last_coding == b"chunked"

    def _wake(self, value: Any) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(value)

    def _fail(self, error: BaseException) -> None:
        if self._error is None:
            self._error = error
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)
        self.abort()

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def _timed_out(self, error: TimeoutError | None = None) -> None:
        self._fail(error or TimeoutError())

    async def exchange(self, payload: bytes, whole: bool, timeout_s: float) -> H1Response:
        """Send the request; wait for the whole answer (`whole`) or for its head.

        Raises `_Stale` without writing when the connection is already closed (the one case in
        which the request may be sent again elsewhere)."""
        if self.closed or self.transport is None or self.transport.is_closing():
            raise _Stale
        loop = asyncio.get_running_loop()
        self._whole = whole
        self._waiter = loop.create_future()
        timer = loop.call_later(timeout_s, self._timed_out)
        self.transport.write(payload)
        try:
            if not (self._complete if whole else self._headers_done):
                await self._waiter
        finally:
            timer.cancel()
        headers = CIMultiDictProxy(CIMultiDict((n.decode("latin-1"), v.decode("latin-1")) for n, v in self._head))
        return H1Response(self, self._status, headers)

    async def read_all(self, idle_timeout_s: float | None) -> bytes:
        self._collect = True
        cap = self.pool.limits.max_response_body_bytes
        if self._received > cap and self._error is None:
            self._fail(ResponseTooLarge("the response body", "max_response_body_bytes", cap))
        while True:
            if self._error is not None:  # before `_complete`: a failure in the answer's last read wins
                raise self._error
            if self._complete:
                break
            await self._next(idle_timeout_s)
        self._unread = 0
        body = b"".join(self._body)
        self._body.clear()
        return body

    async def _next(self, timeout_s: float | None = None, error: TimeoutError | None = None) -> None:
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        timer = loop.call_later(timeout_s, self._timed_out, error) if timeout_s else None
        try:
            await self._waiter
        finally:
            if timer is not None:
                timer.cancel()

    async def iter_pieces(self, idle_timeout_s: float, deadline: float | None) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        while True:
            while self._body:
                piece = self._body.popleft()
                self._unread -= len(piece)
                yield piece
            if self._error is not None:  # before `_complete`: a failure in the answer's last read wins
                raise self._error
            if self._complete:
                return
            if deadline is None or deadline - loop.time() > idle_timeout_s:
                await self._next(idle_timeout_s)
            else:
                left = deadline - loop.time()
                if left <= 0:
                    self._fail(StreamDeadline())
                    raise StreamDeadline
                await self._next(left, StreamDeadline())

    def tunnelled(self) -> None:
        """The proxy opened the tunnel: what follows is a new session with the upstream."""
        self._reset()

    def release(self) -> None:
        """Back to the pool when the answer was read to its end and the server keeps the connection."""
        reusable = self._complete and not self.closed and self._error is None and self._keep_alive
        if not reusable:
            self.abort()
        self._reset()
        self.pool.give_back(self, reusable)


class H1Pool:
    """Keep-alive connections to the origins a provider calls, at most `limit` open at once."""

    def __init__(
        self,
        limit: int,
        connect_timeout_s: float,
        ssl_context: ssl.SSLContext | None = None,
        proxy: Proxy | None = None,
        limits: ResponseLimits | None = None,
    ) -> None:
        self.limit = limit
        self.limits = limits or ResponseLimits()
        self.connect_timeout_s = connect_timeout_s
        self.proxy = proxy
        self._ssl = ssl_context
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._open = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closing = False

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    async def _acquire(self, target: Target) -> _Connection:
        idle = self._idle.get((target.scheme, target.host, target.port))
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if not conn.closed and now - conn.idle_since < KEEPALIVE_S:
                conn.reused = True
                return conn
            conn.abort()
            self._open -= 1
        while self._open >= self.limit:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter
            return await self._acquire(target)
        self._open += 1
        try:
            return await self._connect(target)
        except BaseException:
            self._open -= 1
            self._wake_one()
            raise

    async def _connect(self, target: Target) -> _Connection:
        loop = asyncio.get_running_loop()
        tls = self._ssl_context() if target.scheme == "https" else None
        key = (target.scheme, target.host, target.port)
        proxy = self.proxy
        try:
            async with asyncio.timeout(self.connect_timeout_s):
                if proxy is None:
                    _, conn = await loop.create_connection(
                        lambda: _Connection(self, key),
                        target.host,
                        target.port,
                        ssl=tls,
                        server_hostname=target.host if tls else None,
                    )
                else:
                    _, conn = await loop.create_connection(lambda: _Connection(self, key), proxy.host, proxy.port)
                    if tls is not None:
                        await self._tunnel(conn, target, proxy, tls)
        except TimeoutError:
            raise TimeoutError(
                f"connecting to {target.host}:{target.port} took over {self.connect_timeout_s:g}s"
            ) from None
        except (OSError, ssl.SSLError) as exc:
            raise H1Error(f"{type(exc).__name__}: {exc}") from None
        return conn

    async def _tunnel(self, conn: _Connection, target: Target, proxy: Proxy, tls: ssl.SSLContext) -> None:
        """CONNECT through the proxy, then TLS with the upstream inside the tunnel."""
        where = f"{f'[{target.host}]' if ':' in target.host else target.host}:{target.port}"
        head = f"CONNECT {where} HTTP/1.1\r\nHost: {where}\r\n"
        if proxy.authorization:
            head += f"Proxy-Authorization: {proxy.authorization}\r\n"
        try:
            answer = await conn.exchange((head + "\r\n").encode("latin-1"), False, self.connect_timeout_s)
            if answer.status != 200:
                raise H1Error(
                    f"the proxy {proxy.host}:{proxy.port} refused the tunnel to {where}: HTTP {answer.status}"
                )
            conn.tunnelled()
            loop = asyncio.get_running_loop()
            assert conn.transport is not None
            inner = await loop.start_tls(conn.transport, conn, tls, server_hostname=target.host)
        except BaseException:
            conn.abort()
            raise
        if inner is None:
            raise H1Error(f"the tunnel to {where} closed during the TLS handshake")
        conn.transport = inner

    def give_back(self, conn: _Connection, reusable: bool) -> None:
        if reusable and not self._closing:
            conn.idle_since = time.monotonic()
            self._idle.setdefault(conn.key, []).append(conn)
        else:
            conn.abort()  # also a healthy connection handed back after close(): nothing may stay open
            self._open -= 1
        self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes, timeout_s: float, whole: bool
    ) -> H1Response:
        """Send one request; `whole` waits for the entire answer, else returns once its head arrived."""
        target = parse_target(url)
        path, proxy = target.path, self.proxy
        if proxy is not None and target.scheme == "http":  # sent to the proxy in absolute form
            path = f"http://{target.host_header}{target.path}"
        lines = [f"{method} {path} HTTP/1.1\r\nHost: {target.host_header}\r\n"]
        if path is not target.path and proxy is not None and proxy.authorization:
            lines.append(f"Proxy-Authorization: {proxy.authorization}\r\n")
        for name, value in headers.items():
            lines.append(f"{clean_header(name)}: {clean_header(str(value))}\r\n")
        lines.append(f"Content-Length: {len(body)}\r\n\r\n")
        payload = "".join(lines).encode("latin-1") + body
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        for attempt in range(2):
            conn = await self._acquire(target)
            try:
                return await conn.exchange(payload, whole, max(deadline - loop.time(), 0.001))
            except _Stale:  # seen closed before anything was written: nothing reached the upstream
                conn.release()
                if attempt:
                    raise H1Error("the upstream closed the connection before the request was sent") from None
            except BaseException:
                conn.release()
                raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        self._closing = True
        for conns in self._idle.values():
            for conn in conns:
                conn.abort()
        self._idle.clear()
        self._open = 0
