"""A loopback TCP forwarder to PostgreSQL that a test can cut and restore: a real store outage.

Cutting stops listening and aborts every forwarded connection (a TCP reset), so the gateway sees
what it sees when the database goes away: broken sessions, then refused connects.
"""

from __future__ import annotations

import asyncio
import threading
from urllib.parse import urlsplit, urlunsplit


class _Pipe(asyncio.Protocol):
    def __init__(self, proxy: TcpProxy) -> None:
        self.proxy = proxy
        self.transport: asyncio.Transport | None = None
        self.peer: _Pipe | None = None
        self.pending: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.proxy.transports.add(transport)

    def data_received(self, data: bytes) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.write(data)
        else:
            self.pending.append(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.abort()


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; `cut()` and `restore()` keep the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self.transports: set[asyncio.Transport] = set()
        self._server: asyncio.Server | None = None
        self.port = 0
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._run_loop, daemon=True).start()
        self.restore()

    @classmethod
    def for_url(cls, url: str) -> tuple[TcpProxy, str]:
        """A proxy in front of a PostgreSQL URL's host, and the same URL pointing at the proxy."""
        parts = urlsplit(url)
        proxy = cls(parts.hostname or "127.0.0.1", parts.port or 5432)
        netloc = f"{parts.username + '@' if parts.username else ''}127.0.0.1:{proxy.port}"
        return proxy, urlunsplit(parts._replace(netloc=netloc))

    def _run_loop(self) -> None:
        self._loop.run_forever()
        self._loop.close()

    def _run(self, coro: object) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)  # type: ignore[arg-type]

    def restore(self) -> None:
        async def listen() -> None:
            self._server = await self._loop.create_server(self._accepted, "127.0.0.1", self.port, reuse_address=True)
            self.port = self._server.sockets[0].getsockname()[1]

        self._run(listen())

    def cut(self) -> None:
        async def cut() -> None:
            if self._server is not None:
                self._server.close()
                self._server = None
            for transport in list(self.transports):
                transport.abort()
            self.transports.clear()

        self._run(cut())

    def close(self) -> None:
        """Cut, then stop the proxy's event loop thread."""
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)

    def _accepted(self) -> _Pipe:
        client = _Pipe(self)

        async def dial() -> None:
            try:
                _, upstream = await self._loop.create_connection(lambda: _Pipe(self), *self._target)
            except OSError:
                if client.transport is not None:
                    client.transport.abort()
                return
            client.peer, upstream.peer = upstream, client
            if upstream.transport is not None:
                for data in client.pending:
                    upstream.transport.write(data)
            client.pending.clear()

        self._loop.create_task(dial())
        return client
