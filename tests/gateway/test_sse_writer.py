"""SseWriter: events that arrive together leave in one write; none waits for a later one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from rungway.gateway.sse_writer import SseWriter


class RecordingResponse:
    """Stands in for aiohttp's StreamResponse: records each write (or fails like a gone client)."""

    def __init__(self, fail: bool = False) -> None:
        self.writes: list[bytes] = []
        self.fail = fail

    async def write(self, data: bytes) -> None:
        if self.fail:
            raise ConnectionResetError("client went away")
        self.writes.append(data)


async def upstream(reads: list[list[bytes]], log: list[str]) -> AsyncIterator[bytes]:
    """Yields events read by read: within a read without suspending, between reads after a wait."""
    for i, events in enumerate(reads):
        if i:
            log.append(f"wait before read {i}")
            await asyncio.sleep(0.001)
        for event in events:
            yield event


async def relay(writer: SseWriter, chunks: AsyncIterator[bytes]) -> None:
    chunk = await chunks.__anext__()
    while True:
        writer.add(chunk)
        try:
            chunk = await writer.next_chunk(chunks)
        except StopAsyncIteration:
            break
    await writer.flush()


def test_events_of_one_upstream_read_leave_in_one_write_before_the_next_wait() -> None:
    response = RecordingResponse()
    log: list[str] = []
    writes_seen_at_wait: list[int] = []

    async def main() -> None:
        writer = SseWriter(response)  # type: ignore[arg-type]

        async def watched() -> AsyncIterator[bytes]:
            async for event in upstream([[b"a", b"b", b"c"], [b"d"], [b"e", b"f"]], log):
                writes_seen_at_wait.append(len(response.writes))
                yield event

        await relay(writer, watched())

    asyncio.run(main())
    assert response.writes == [b"abc", b"d", b"ef"]
    # "d" was produced only after "abc" had been written: nothing waited for a later read.
    assert writes_seen_at_wait[3] == 1
    assert log == ["wait before read 1", "wait before read 2"]


def test_a_client_gone_during_a_flush_ends_the_upstream_stream_cleanly() -> None:
    response = RecordingResponse(fail=True)
    closed: list[bool] = []

    async def main() -> Any:
        writer = SseWriter(response)  # type: ignore[arg-type]

        async def chunks() -> AsyncIterator[bytes]:
            try:
                yield b"a"
                await asyncio.sleep(0.001)
                yield b"b"
            finally:
                closed.append(True)

        stream = chunks()
        with pytest.raises(ConnectionResetError):
            await relay(writer, stream)
        await stream.aclose()  # must not raise "asynchronous generator is already running"

    asyncio.run(main())
    assert closed == [True]
