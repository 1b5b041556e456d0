"""Relay SSE events to the client, one write per upstream read rather than one per event.

An upstream often sends many `chat.completion.chunk` events in one TCP read (a fast model, a
proxy that buffers, the end of a stream with its usage chunk). Writing each event on its own costs
a system call and aiohttp's chunked-encoding work per event; most of a stream relay's CPU went
there (docs/benchmarks.md). `SseWriter` holds events and `next_chunk()` sends them out exactly when
the next chunk is not already in hand, i.e. when waiting on the upstream would begin: events that
arrived together leave together, and no event ever waits for a later one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from typing import Any, Generic, TypeVar

from aiohttp import web

T = TypeVar("T")


class SseWriter:
    """Pending events for one client response, written by `flush()` or by `next_chunk()` as needed."""

    __slots__ = ("_pending", "_response")

    def __init__(self, response: web.StreamResponse) -> None:
        self._response = response
        self._pending: list[bytes] = []

    def add(self, event: bytes) -> None:
        """Queue one complete SSE event (`data: ...\\n\\n`)."""
        self._pending.append(event)

    async def flush(self) -> None:
        pending = self._pending
        if pending:
            data = pending[0] if len(pending) == 1 else b"".join(pending)
            self._pending = []
            await self._response.write(data)

    def next_chunk(self, chunks: AsyncIterator[T]) -> _NextChunk[T]:
        """Await `chunks.__anext__()`, flushing first if that would wait on the upstream."""
        return _NextChunk(chunks, self)


class _NextChunk(Generic[T]):
    """The awaitable of `SseWriter.next_chunk`: drives the iterator's step itself so that it can
    tell a step that completes at once (the chunk was already buffered) from one that suspends."""

    __slots__ = ("_chunks", "_writer")

    def __init__(self, chunks: AsyncIterator[T], writer: SseWriter) -> None:
        self._chunks = chunks
        self._writer = writer

    def __await__(self) -> Generator[Any, Any, T]:
        step = self._chunks.__anext__().__await__()
        try:
            signal = step.send(None)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        # The step is waiting on the upstream: what the client has not seen yet goes out now.
        try:
            yield from self._writer.flush().__await__()
        except BaseException as error:
            _end_step(step, error)
            raise
        while True:  # then continue the suspended step exactly as `await` would
            try:
                value = yield signal
            except BaseException as error:  # noqa: BLE001 - forwarded into the step, as `await` does
                try:
                    signal = step.throw(error)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]
            else:
                try:
                    signal = step.send(value)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]


def _end_step(step: Generator[Any, Any, Any], error: BaseException) -> None:
    """End a suspended step with `error` so that its async generator is not left running."""
    try:
        step.throw(error)
    except BaseException:  # noqa: BLE001 - the step ends (with this error or its own); the caller raises ours
        return
    step.close()
