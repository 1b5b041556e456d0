"""Queue admission by estimated drain time: how long a span accepted now waits to be queryable.

A queue bounded only by its length lets a new span wait behind the whole queue: at the 50,000-span
default and a write rate near the ingest rate, that was over 2 s. `DrainClock` wraps the span
writer's sink, measures the seconds it spends per span on large batches (where the per-commit cost
is spread thin, so the figure is the steady drain rate), and `SpanFanout` refuses an export that
would wait longer than `tracing.max_queue_wait_ms`: the receiver answers 503 with Retry-After, the
exporter retries, and nothing accepted is lost. An empty queue always admits, so ingest cannot lock
itself out on a stale estimate.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from rungway.traces.content import SpanRecord, ready_rows
from rungway.traces.model import SpanRow

# Batches smaller than this say more about the commit's fixed cost than about the drain rate.
_MEASURED_BATCH = 256
# A batch that starts this soon after the previous one ended was waiting in a busy queue.
_BACK_TO_BACK_S = 0.01


class DrainClock:
    """The span writer's sink, timed: `seconds_per_span` is a moving average over large batches.

    When batches run back to back (the queue is busy) a sample is the wall time from the end of the
    previous batch to the end of this one, so the time the writer spends outside the sink (taking
    the batch, waiting for the interpreter or the CPU) counts: it is what a queued span waits."""

    def __init__(self, sink: Callable[[Sequence[SpanRow]], object]) -> None:
        self._sink = sink
        self._last_end = 0.0
        self.seconds_per_span: float | None = None

    def __call__(self, batch: Sequence[SpanRecord]) -> None:
        started = time.perf_counter()
        self._sink(ready_rows(batch))
        ended = time.perf_counter()
        since = self._last_end if started - self._last_end < _BACK_TO_BACK_S else started
        self._last_end = ended
        if len(batch) >= _MEASURED_BATCH:
            sample = (ended - since) / len(batch)
            last = self.seconds_per_span
            self.seconds_per_span = sample if last is None else 0.7 * last + 0.3 * sample


class SpanQueue(Protocol):
    """What the fan-out needs of a batch writer."""

    @property
    def depth(self) -> int: ...

    @property
    def capacity_left(self) -> int: ...

    def offer_many(self, items: Sequence[SpanRecord]) -> bool: ...


class SpanFanout:
    """Spans go to the store's queue, and, when export is on, also to the exporter's queue."""

    def __init__(
        self,
        store: SpanQueue,
        export: SpanQueue | None = None,
        clock: DrainClock | None = None,
        max_wait_s: float = 0.3,
    ) -> None:
        self.store = store
        self.export = export
        self._clock = clock
        self._max_wait = max_wait_s
        self.refused_for_wait = 0

    @property
    def capacity_left(self) -> int:
        return self.store.capacity_left

    def wait_s(self, incoming: int = 0) -> float | None:
        """Estimated seconds to write the queue and `incoming` more spans (None: not measured yet)."""
        per_span = self._clock.seconds_per_span if self._clock is not None else None
        return None if per_span is None else (self.store.depth + incoming) * per_span

    def admits(self, incoming: int = 0) -> bool:
        """Room in the queue and, unless it is empty, a drain time within `max_queue_wait_ms`."""
        if self.store.capacity_left < max(incoming, 1):
            return False
        wait = self.wait_s(incoming)
        if wait is None or self.store.depth == 0 or wait <= self._max_wait:
            return True
        self.refused_for_wait += 1
        return False

    def retry_after_s(self) -> int:
        """Whole seconds (at least 1) after which the queue should have drained."""
        return max(1, math.ceil(self.wait_s() or 0.0))

    def offer_many(self, items: Sequence[SpanRecord]) -> bool:
        if not self.store.offer_many(items):
            return False
        if self.export is not None:
            self.export.offer_many(items)  # a full export queue drops (counted) without refusing ingest
        return True


__all__ = ["DrainClock", "SpanFanout", "SpanQueue"]
