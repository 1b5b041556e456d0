"""The bounded queue and batch writer that keep the database off the request path.

The request handler calls `offer()`, which never blocks: it appends to a bounded queue or, when
the queue is full, counts the record as dropped and returns False. A writer thread drains the
queue in batches into a sink (one `executemany` per batch), at most one flush interval after a
record arrives, sooner when a batch is full. `close()` drains everything that
was accepted before returning, so a graceful shutdown loses nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger("rungway.store.writer")


class BatchWriter(Generic[T]):
    """A bounded, thread-drained queue feeding `sink(batch)`; counts accepted, written, dropped."""

    def __init__(
        self,
        name: str,
        sink: Callable[[Sequence[T]], None],
        *,
        max_queue: int = 100_000,
        batch_size: int = 2_000,
        flush_interval_s: float = 0.1,
    ) -> None:
        self.name = name
        self._sink = sink
        self._max_queue = max_queue
        self._batch_size = batch_size
        self._interval = flush_interval_s
        self._queue: deque[T] = deque()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.accepted = 0
        self.written = 0
        self.dropped = 0
        self.failed_batches = 0
        self.lost_on_close = 0
        self._idle = threading.Condition()

    @property
    def depth(self) -> int:
        return len(self._queue)

    @property
    def capacity_left(self) -> int:
        return self._max_queue - len(self._queue)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"rungway-writer-{self.name}", daemon=True)
            self._thread.start()

    def offer(self, item: T) -> bool:
        """Queue one record without blocking; False (and counted) when the queue is full."""
        if len(self._queue) >= self._max_queue or self._stopping:
            self.dropped += 1
            return False
        self._queue.append(item)
        self.accepted += 1
        if len(self._queue) >= self._batch_size:
            self._wake.set()
        return True

    def offer_many(self, items: Sequence[T]) -> bool:
        """Queue a group of records all or nothing; False (and counted) when they do not fit."""
        if len(self._queue) + len(items) > self._max_queue or self._stopping:
            self.dropped += len(items)
            return False
        self._queue.extend(items)
        self.accepted += len(items)
        if len(self._queue) >= self._batch_size:
            self._wake.set()
        return True

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until everything accepted so far is written (for tests and read-your-writes)."""
        target = self.accepted
        deadline = time.monotonic() + timeout_s
        self._wake.set()
        with self._idle:
            while self.written + self.lost_on_close < target:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._wake.set()
                self._idle.wait(min(remaining, 0.05))
        return True

    def close(self, timeout_s: float = 30.0) -> None:
        """Stop accepting, write everything queued, stop the thread."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        if self._queue:
            self.lost_on_close += len(self._queue)
            log.error("writer %s: %d records could not be written before shutdown", self.name, len(self._queue))

    def _take(self) -> list[T]:
        batch: list[T] = []
        queue = self._queue
        while queue and len(batch) < self._batch_size:
            batch.append(queue.popleft())
        return batch

    def _run(self) -> None:
        backoff = 0.05
        while True:
            # Gather records for up to one flush interval (less when a batch fills up, or on flush()
            # or close()): writing each trickle at once committed a tiny transaction every few
            # records under load, and commits were most of the writer's CPU (docs/benchmarks.md).
            if len(self._queue) < self._batch_size and not self._stopping:
                self._wake.wait(self._interval)
                self._wake.clear()
            if not self._queue:
                if self._stopping:
                    return
                continue
            batch = self._take()
            while True:
                try:
                    self._sink(batch)
                    break
                except Exception:
                    self.failed_batches += 1
                    log.exception("writer %s: batch of %d failed; retrying in %.2fs", self.name, len(batch), backoff)
                    if self._stopping and backoff >= 2.0:
                        self.lost_on_close += len(batch)
                        batch = []
                        break
                    time.sleep(backoff)
                    backoff = min(backoff * 2, 2.0)
            backoff = 0.05
            self.written += len(batch)
            with self._idle:
                self._idle.notify_all()
