"""Request-log statistics for the dashboard's overview: time buckets and a latency histogram.

Two grouped scans over the window, each served by the `(workload, ts_start)` index; percentiles are
read from the histogram (10 ms steps under 1 s, 100 ms under 10 s, 1 s above), so no query sorts the
window's rows and the answer is a few thousand groups however many calls there were.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, Integer, case, cast, func, literal, select

from rungway.store.schema import requests

__all__ = ["bucket_upper_ms", "latency_histogram", "request_buckets"]


def _whole(engine: Engine) -> Any:
    """Truncation to a whole number: SQLite's CAST truncates, PostgreSQL's rounds (so floor first)."""
    if engine.dialect.name == "postgresql":
        return lambda e: cast(func.floor(e), Integer)
    return lambda e: cast(e, Integer)


def _window(q: Any, since: float, until: float, workloads: Sequence[str] | None) -> Any:
    q = q.where(requests.c.ts_start >= since).where(requests.c.ts_start < until)
    if workloads is not None:
        q = q.where(requests.c.workload.in_(list(workloads)))
    return q


def request_buckets(
    engine: Engine, since: float, until: float, bucket_s: int, workloads: Sequence[str] | None = None
) -> list[tuple[str, int, int, int, int]]:
    """(workload, bucket index from `since`, requests, errors, cost_nano) per non-empty bucket."""
    whole = _whole(engine)
    bucket = whole((requests.c.ts_start - literal(since)) / literal(float(bucket_s))).label("bucket")
    q = select(
        requests.c.workload,
        bucket,
        func.count().label("requests"),
        func.coalesce(func.sum(case((requests.c.status >= 400, 1), else_=0)), 0).label("errors"),
        func.coalesce(func.sum(requests.c.cost_nano), 0).label("cost_nano"),
    ).group_by(requests.c.workload, bucket)
    with engine.connect() as conn:
        return [
            (str(r.workload), int(r.bucket), int(r.requests), int(r.errors), int(r.cost_nano))
            for r in conn.execute(_window(q, since, until, workloads))
        ]


def _latency_bucket(engine: Engine) -> Any:
    ms = requests.c.latency_ms
    whole = _whole(engine)
    return case(
        (ms < 1000, whole(ms / 10.0)),
        (ms < 10_000, 100 + whole(ms / 100.0)),
        else_=200 + whole(case((ms > 600_000, 600_000.0), else_=ms) / 1000.0),
    ).label("lat")


def bucket_upper_ms(index: int) -> float:
    """The upper edge of a latency histogram bucket, in ms."""
    if index < 100:
        return (index + 1) * 10.0
    if index < 200:
        return (index - 100 + 1) * 100.0
    return (index - 200 + 1) * 1000.0


def latency_histogram(
    engine: Engine, since: float, until: float, workloads: Sequence[str] | None = None
) -> list[tuple[str, int, int]]:
    """(workload, latency bucket, calls) per non-empty bucket; `bucket_upper_ms` gives each bucket's edge."""
    lat = _latency_bucket(engine)
    q = select(requests.c.workload, lat, func.count().label("n")).group_by(requests.c.workload, lat)
    with engine.connect() as conn:
        return [(str(r.workload), int(r.lat), int(r.n)) for r in conn.execute(_window(q, since, until, workloads))]
