"""A deployment's recent traffic in fixed buckets: calls, failures by outcome, slow calls, latency.

Bucketed so that recording is O(1) and memory is bounded whatever the traffic: `BUCKETS` buckets
span the breaker's window; a bucket older than the window is reused. Latency keeps an EWMA (cheap to
read on the hot path, for least-latency routing) and the last `SAMPLES` successful latencies (p50 for
the pages, sorted only when read).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

__all__ = ["BUCKETS", "FAILURES", "Counts", "RollingWindow"]

BUCKETS = 30
SAMPLES = 128
EWMA_ALPHA = 0.2
FAILURES = frozenset({"timeout", "connect", "5xx", "429"})
"""Outcomes that count against a deployment (a 4xx is the caller's fault; skipped and cancelled say nothing)."""


@dataclass(slots=True)
class Counts:
    """What happened in the window: tries that ended, failures (by outcome), timeouts, slow calls."""

    calls: int = 0
    failures: int = 0
    timeouts: int = 0
    slow: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)

    @property
    def failure_rate(self) -> float:
        return self.failures / self.calls if self.calls else 0.0


class RollingWindow:
    """Counts over the last `window_s` seconds, in `BUCKETS` buckets, plus latency statistics."""

    __slots__ = ("_buckets", "_samples", "_stamps", "_width", "ewma_ms")

    def __init__(self, window_s: float) -> None:
        self._width = window_s / BUCKETS
        self._stamps = [-1] * BUCKETS
        self._buckets = [Counts() for _ in range(BUCKETS)]
        self.ewma_ms: float | None = None
        self._samples: deque[float] = deque(maxlen=SAMPLES)

    def record(self, now: float, outcome: str, latency_ms: float, slow: bool) -> None:
        tick = int(now / self._width)
        slot = tick % BUCKETS
        bucket = self._buckets[slot]
        if self._stamps[slot] != tick:
            self._stamps[slot] = tick
            bucket.calls = bucket.failures = bucket.timeouts = bucket.slow = 0
            bucket.by_outcome.clear()
        bucket.calls += 1
        bucket.by_outcome[outcome] = bucket.by_outcome.get(outcome, 0) + 1
        failed = outcome in FAILURES or slow
        if failed:
            bucket.failures += 1
        if outcome == "timeout":
            bucket.timeouts += 1
        if slow:
            bucket.slow += 1
        if outcome == "ok":
            self.ewma_ms = (
                latency_ms if self.ewma_ms is None else self.ewma_ms + EWMA_ALPHA * (latency_ms - self.ewma_ms)
            )
            self._samples.append(latency_ms)

    def counts(self, now: float) -> Counts:
        """The sum of the buckets still inside the window."""
        tick = int(now / self._width)
        total = Counts()
        for stamp, bucket in zip(self._stamps, self._buckets, strict=True):
            if stamp < 0 or tick - stamp >= BUCKETS:
                continue
            total.calls += bucket.calls
            total.failures += bucket.failures
            total.timeouts += bucket.timeouts
            total.slow += bucket.slow
            for outcome, n in bucket.by_outcome.items():
                total.by_outcome[outcome] = total.by_outcome.get(outcome, 0) + n
        return total

    def reset(self) -> None:
        """Forget the counts (a circuit that closes starts afresh); latency statistics stay."""
        self._stamps = [-1] * BUCKETS

    def p50_ms(self) -> float | None:
        if not self._samples:
            return None
        ordered = sorted(self._samples)
        return ordered[len(ordered) // 2]
