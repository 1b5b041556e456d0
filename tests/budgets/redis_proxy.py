"""A loopback TCP proxy in front of the test Redis that a test can cut and restore: a Redis outage seen
from the gateway (connections dropped, new ones closed at once) without touching the shared server.

It also counts the scripts its clients send (EVALSHA/EVAL commands), and can `hold` what they send
(read, counted, never forwarded): a request that reached the wire and whose answer never comes, so
that a test can cut the connection with a batch in flight and know Redis never ran it."""

from __future__ import annotations

import asyncio
import threading
from urllib.parse import urlsplit

from tests.servers import LoopThread


def _scripts_in(data: bytes) -> int:
    return data.count(b"\r\nEVALSHA\r\n") + data.count(b"\r\nEVAL\r\n")


class CuttableRedisProxy:
    """Forwards 127.0.0.1:<port> to the Redis of `redis_url`; `url` is the same database through the proxy."""

    def __init__(self, redis_url: str) -> None:
        parts = urlsplit(redis_url)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 6379)
        self._open = True
        self._held = False
        self.scripts_sent = 0  # EVALSHA and EVAL commands seen from clients (held ones included)
        self._sent = threading.Condition()
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
        await asyncio.gather(self._pipe(reader, upstream_writer, True), self._pipe(upstream_reader, writer, False))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, from_client: bool) -> None:
        tail = b""  # the end of the previous read: a command name may be split across two reads
        try:
            while data := await reader.read(65536):
                if from_client:
                    seen = tail + data
                    with self._sent:  # what lies wholly in the old tail was counted with the previous read
                        self.scripts_sent += _scripts_in(seen) - _scripts_in(tail)
                        self._sent.notify_all()
                    tail = seen[-10:]
                    if self._held:
                        continue
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
            self._held = False

        self._loops.run(restore())

    def hold(self) -> None:
        """Read what clients send from now on without forwarding it (until `cut`): nothing is answered."""
        self._held = True

    def wait_for_scripts(self, count: int, timeout_s: float = 10.0) -> bool:
        """Block until clients have sent `count` scripts in all (False on timeout): a signal, not a sleep."""
        with self._sent:
            return self._sent.wait_for(lambda: self.scripts_sent >= count, timeout_s)

    def stop(self) -> None:
        async def stop() -> None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()

        self._loops.run(stop())
        self._loops.stop()
