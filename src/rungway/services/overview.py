"""Per-workload health over a window (requests, errors, cost, latency percentiles, time series).

What the dashboard's overview shows for each workload, from the hourly roll-up plus the live edges of
the request log (`store/request_stats.py`), so a 30-day window over a million calls reads a few
thousand rows. The totals are exactly those `/api/usage?by=workload` gives for the same window.
`keep_rollup_fresh` is the server's background task that rolls up each closed hour.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine

from rungway.domain.pricing import usd
from rungway.domain.records import RequestRecord
from rungway.store.request_stats import HOUR, Tally, refresh_request_hourly, reroll_request_hourly, window_tallies

__all__ = [
    "WINDOWS",
    "RollupTracker",
    "Window",
    "WorkloadHealth",
    "keep_rollup_fresh",
    "roll_up_once",
    "usage_totals",
    "workload_health",
]

log = logging.getLogger("rungway.services.overview")


@dataclass(frozen=True)
class Window:
    """A selectable overview window and the width of its chart slots."""

    name: str
    seconds: int
    slot_s: int


WINDOWS = {
    "1h": Window("1h", 3600, 60),
    "24h": Window("24h", 86_400, 3600),
    "7d": Window("7d", 7 * 86_400, 6 * 3600),
    "30d": Window("30d", 30 * 86_400, 86_400),
}


@dataclass
class WorkloadHealth:
    """One workload's numbers over the window; `series` is (slot start, requests, errors, cost USD)."""

    workload: str
    requests: int = 0
    errors: int = 0
    cost_nano: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    series: list[tuple[float, int, int, float]] = field(default_factory=list)

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None

    @property
    def cost_usd(self) -> float:
        return usd(self.cost_nano)


def _origin(since: float, slot_s: int) -> float:
    return math.floor(since / HOUR) * HOUR if slot_s >= HOUR and slot_s % HOUR == 0 else since


def workload_health(
    engine: Engine, since: float, until: float, slot_s: int, workloads: Sequence[str] | None = None
) -> list[WorkloadHealth]:
    """Each workload with calls in [since, until) (or each of `workloads`, even without calls), by name."""
    tallies = window_tallies(engine, since, until, slot_s, workloads)
    origin = _origin(since, slot_s)
    slots = max(1, math.ceil((until - origin) / slot_s))
    out = []
    for name in sorted({*tallies, *(workloads or ())}):
        by_slot = tallies.get(name, {})
        whole = Tally()
        for t in by_slot.values():
            whole.add(t.requests, t.errors, t.cost_nano, t.latency)
        empty = Tally()
        out.append(
            WorkloadHealth(
                workload=name,
                requests=whole.requests,
                errors=whole.errors,
                cost_nano=whole.cost_nano,
                p50_ms=whole.percentile_ms(0.50),
                p95_ms=whole.percentile_ms(0.95),
                series=[
                    (
                        origin + i * slot_s,
                        by_slot.get(i, empty).requests,
                        by_slot.get(i, empty).errors,
                        usd(by_slot.get(i, empty).cost_nano),
                    )
                    for i in range(slots)
                ],
            )
        )
    return out


def usage_totals(
    engine: Engine, since: float, until: float, workloads: Sequence[str] | None = None
) -> dict[str, WorkloadHealth]:
    """Calls, errors and cost per workload over [since, until), from the roll-up (no percentiles, no series)."""
    whole = int(HOUR * max(1, math.ceil((until - _origin(since, int(HOUR))) / HOUR)))  # the window as one slot
    out = {}
    for name, by_slot in window_tallies(engine, since, until, whole, workloads, latency=False).items():
        total = Tally()
        for t in by_slot.values():
            total.add(t.requests, t.errors, t.cost_nano, {})
        out[name] = WorkloadHealth(name, total.requests, total.errors, total.cost_nano)
    return out


class RollupTracker:
    """Notes the oldest call of each batch the request writer stores (in its thread), so that hours
    already rolled up are recomputed when late calls land in them (a spill file replayed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._oldest: float | None = None

    def saw(self, batch: Sequence[RequestRecord]) -> None:
        if not batch:
            return
        oldest = min(r.ts_start for r in batch)
        with self._lock:
            if self._oldest is None or oldest < self._oldest:
                self._oldest = oldest

    def take(self) -> float | None:
        with self._lock:
            oldest, self._oldest = self._oldest, None
        return oldest

    def keep(self, oldest: float) -> None:
        """Put back what `take` gave when recomputing failed: the next round tries again."""
        with self._lock:
            self._oldest = oldest if self._oldest is None else min(oldest, self._oldest)


def roll_up_once(engine: Engine, tracker: RollupTracker, now: float) -> None:
    """Roll up the hours closed since the last time, then recompute those late calls landed in."""
    oldest = tracker.take()
    try:
        refresh_request_hourly(engine, now)
        if oldest is not None:
            reroll_request_hourly(engine, oldest, now)
    except BaseException:
        if oldest is not None:
            tracker.keep(oldest)
        raise


async def keep_rollup_fresh(engine: Engine, tracker: RollupTracker, interval_s: float = 60.0) -> None:
    """Roll up the request log by hour, now and every `interval_s`, in a worker thread."""
    while True:
        try:
            await asyncio.to_thread(roll_up_once, engine, tracker, time.time())
        except Exception:  # the roll-up is retried next interval; pages read the log's live edges meanwhile
            log.exception("could not roll up the request log by hour")
        await asyncio.sleep(interval_s)
