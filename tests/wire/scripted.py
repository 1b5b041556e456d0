"""Scripted servers for the wire conformance suites: a connection that answers with exactly the bytes given.

In the style of httpcore's mock streams: no socket sits between the script and the protocol, so each
scripted piece reaches the parser as one read (`data_received`), in order, one loop turn apart. That is
what lets a test cut an answer at every byte boundary and know the parser saw exactly those cuts.

A `Script` lists, per request the client writes, the reads that answer it; `close` makes the server
close the connection (EOF) once its last answer is out. The transport honours `pause_reading`, and
`abort`/`close` end the connection as a real transport does (`connection_lost` one loop turn later).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from rungway.wire.http1 import H1Pool, ResponseLimits, _Connection
from rungway.wire.http1_address import Target


@dataclass
class Script:
    """What one connection's server does: `answers[i]` are the reads sent after the client's i-th write."""

    answers: list[list[bytes]]
    close: bool = False
    written: list[bytes] = field(default_factory=list)
    delivered: int = 0  # bytes handed to the protocol so far
    paused: asyncio.Event = field(default_factory=asyncio.Event)  # set while the protocol holds reading

    @classmethod
    def of(cls, *answers: bytes | list[bytes], close: bool = False) -> Script:
        """Each answer as one read (bytes) or as the given reads (a list)."""
        return cls([[a] if isinstance(a, bytes) else list(a) for a in answers], close)


def every_cut(data: bytes) -> Iterable[list[bytes]]:
    """`data` as two reads, cut at every byte boundary, then as one read per byte."""
    for cut in range(1, len(data)):
        yield [data[:cut], data[cut:]]
    yield [data[i : i + 1] for i in range(len(data))]


class ScriptedTransport(asyncio.Transport):
    """Feeds a protocol the script's reads in answer to its writes."""

    def __init__(self, protocol: asyncio.Protocol, script: Script) -> None:
        super().__init__()
        self._protocol = protocol
        self._script = script
        self._answers = deque(script.answers)
        self._pending: deque[bytes] = deque()
        self._loop = asyncio.get_running_loop()
        self._closing = False
        self._paused = False
        self._delivering = False
        protocol.connection_made(self)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing:
            return
        self._script.written.append(bytes(data))
        if self._answers:
            self._pending.extend(self._answers.popleft())
        self._schedule()

    def _schedule(self) -> None:
        if not self._delivering and not self._paused and not self._closing:
            self._delivering = True
            self._loop.call_soon(self._deliver)

    def _deliver(self) -> None:
        self._delivering = False
        if self._closing or self._paused:
            return
        if self._pending:
            piece = self._pending.popleft()
            self._script.delivered += len(piece)
            self._protocol.data_received(piece)
            self._schedule()
        elif self._script.close and not self._answers:
            self._lose()

    def _lose(self) -> None:
        if not self._closing:
            self._closing = True
            self._loop.call_soon(self._protocol.connection_lost, None)

    def pause_reading(self) -> None:
        self._paused = True
        self._script.paused.set()

    def resume_reading(self) -> None:
        self._paused = False
        self._script.paused.clear()
        self._schedule()

    def is_reading(self) -> bool:
        return not self._paused

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        self._lose()

    def abort(self) -> None:
        self._lose()


class ScriptedPool(H1Pool):
    """An `H1Pool` whose new connections are the given scripts, in order, instead of sockets."""

    def __init__(self, *scripts: Script, limits: ResponseLimits | None = None) -> None:
        super().__init__(limit=8, connect_timeout_s=5.0, limits=limits)
        self.scripts = deque(scripts)
        self.opened: list[Script] = []

    async def _connect(self, target: Target) -> _Connection:
        script = self.scripts.popleft()
        self.opened.append(script)
        conn = _Connection(self, (target.scheme, target.host, target.port))
        ScriptedTransport(conn, script)
        return conn
