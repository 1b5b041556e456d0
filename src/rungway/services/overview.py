"""Per-workload health over a window (requests, errors, cost, latency percentiles, time series).

What the dashboard's overview shows for each workload, from two grouped scans of the request log
(`store/request_stats.py`). The totals are the ones `/api/usage?by=workload` gives for the same window.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine

from rungway.domain.pricing import usd
from rungway.store.request_stats import bucket_upper_ms, latency_histogram, request_buckets

__all__ = ["WINDOWS", "Window", "WorkloadHealth", "workload_health"]


@dataclass(frozen=True)
class Window:
    """A selectable overview window and the width of its chart buckets."""

    name: str
    seconds: int
    bucket_s: int


WINDOWS = {
    "1h": Window("1h", 3600, 60),
    "24h": Window("24h", 86_400, 1800),
    "7d": Window("7d", 7 * 86_400, 6 * 3600),
    "30d": Window("30d", 30 * 86_400, 86_400),
}


@dataclass
class WorkloadHealth:
    """One workload's numbers over the window; `series` is (bucket start, requests, errors, cost USD)."""

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


def _percentile(histogram: list[tuple[int, int]], total: int, fraction: float) -> float | None:
    """The upper edge of the bucket holding the `fraction` quantile (nearest-rank)."""
    if total == 0:
        return None
    rank = max(1, -(-int(total * fraction * 1000) // 1000))
    seen = 0
    for index, count in sorted(histogram):
        seen += count
        if seen >= rank:
            return bucket_upper_ms(index)
    return bucket_upper_ms(sorted(histogram)[-1][0])


def workload_health(
    engine: Engine, since: float, until: float, bucket_s: int, workloads: Sequence[str] | None = None
) -> list[WorkloadHealth]:
    """Each workload with calls in the window (or each of `workloads`, even without calls), by name."""
    found: dict[str, WorkloadHealth] = {w: WorkloadHealth(w) for w in workloads or ()}
    buckets: dict[str, dict[int, tuple[int, int, int]]] = defaultdict(dict)
    for workload, index, count, errors, cost in request_buckets(engine, since, until, bucket_s, workloads):
        health = found.setdefault(workload, WorkloadHealth(workload))
        health.requests += count
        health.errors += errors
        health.cost_nano += cost
        buckets[workload][index] = (count, errors, cost)
    histograms: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for workload, index, count in latency_histogram(engine, since, until, workloads):
        histograms[workload].append((index, count))
    slots = max(1, -(-int(until - since) // bucket_s))
    for name, health in found.items():
        health.p50_ms = _percentile(histograms[name], health.requests, 0.50)
        health.p95_ms = _percentile(histograms[name], health.requests, 0.95)
        own = buckets.get(name, {})
        health.series = [
            (since + i * bucket_s, own.get(i, (0, 0, 0))[0], own.get(i, (0, 0, 0))[1], usd(own.get(i, (0, 0, 0))[2]))
            for i in range(slots)
        ]
    return [found[name] for name in sorted(found)]
