"""A loopback TCP proxy in front of the test Redis that a test can cut and restore: a Redis outage seen
from the gateway (connections dropped, new ones closed at once) without touching the shared server."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from tests.servers import LoopThread


class CuttableRedisProxy:
    """Forwards 127.0.0.1:<port> to the Redis of `redis_url`; `url` is the same database through the proxy."""

    def __init__(self, redis_url: str) -> None:
        parts = urlsplit(redis_url)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 6379)
        self._open = True
        self._writers: set[asyncio.StreamWriter] = set()
        self._loops = LoopThread()
        port = self._loops.run(self._start())
        self.url = f"redis://127.0.0.1:{port}{parts.path or '/0'}"

    async def _start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._open:
            writer.close()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        self._writers |= {writer, upstream_writer}
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)

    def cut(self) -> None:
        """Drop every connection and close new ones until `restore`."""

        async def cut() -> None:
            self._open = False
            for writer in list(self._writers):
                writer.close()

        self._loops.run(cut())

    def restore(self) -> None:
        async def restore() -> None:
            self._open = True

        self._loops.run(restore())

    def stop(self) -> None:
        async def stop() -> None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()

        self._loops.run(stop())
        self._loops.stop()
