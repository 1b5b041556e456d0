"""The request log rolled up per workload and hour for the detector, and each metric's hourly series.

Every closed hour (ended `slack_s` ago, so records still in a writer queue are in) is read from the log once,
with two grouped range queries over `ix_requests_ts` (calls, errors, cost, tokens, refusals, filter hits and
a latency histogram; the time-to-first-token histogram of streamed calls), into `anomaly_hourly` with each
histogram's p95 (the dashboard's buckets: a p95 is a bucket's upper edge); the
watermark moves with a compare-and-set in the same transaction (`rungway.store.rollup`), so replicas roll
each hour up once. The first roll-up starts `baseline_weeks + 1` weeks back, not at the log's oldest call.
The detector then reads a few hundred rows per workload, never the log.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Integer, case, cast, func, insert, select

from rungway.anomalies.detector import HOUR, WEEK, HourValue
from rungway.anomalies.model import METRICS
from rungway.anomalies.store import anomaly_hourly, anomaly_rollup_state
from rungway.store.request_stats import Tally
from rungway.store.rollup import HourlyRollup, Writer, closed_hour
from rungway.store.schema import requests

__all__ = ["HourStats", "metric_series", "read_hours", "refresh_anomaly_hourly"]

_ROLLUP = HourlyRollup(anomaly_rollup_state, "anomalies")
REFUSED = "%:block%"


@dataclass
class HourStats:
    """One workload's hour: the totals and percentiles every request-log metric is read from."""

    calls: int = 0
    errors: int = 0
    cost_nano: int = 0
    tokens: int = 0
    refusals: int = 0
    filter_hits: int = 0
    latency_p95: float | None = None
    ttft_p95: float | None = None
    ttft_calls: int = 0

    def value(self, metric: str) -> tuple[float, int] | None:
        """(the metric's value this hour, the volume behind it), or None when there is nothing to read."""
        if metric == "ttft_p95":
            return None if self.ttft_p95 is None else (self.ttft_p95, self.ttft_calls)
        if self.calls == 0:
            return None
        n = self.calls
        if metric == "latency_p95":
            return self.latency_p95 or 0.0, n
        counts = {"error_rate": self.errors, "cost_per_hour": self.cost_nano / 1e9 * n, "tokens_per_call": self.tokens,
                  "refusal_rate": self.refusals, "filter_hit_rate": self.filter_hits}  # fmt: skip
        return counts[metric] / n, n


def _whole(conn: Connection, value: ColumnElement[Any]) -> ColumnElement[Any]:
    """Truncation of a non-negative number: SQLite's CAST truncates, PostgreSQL's rounds (so floor first)."""
    return cast(func.floor(value), Integer) if conn.dialect.name == "postgresql" else cast(value, Integer)


def _bucket(conn: Connection, ms: ColumnElement[Any]) -> ColumnElement[Any]:
    """The latency histogram's bucket (the dashboard's: `rungway.store.request_stats.bucket_upper_ms`)."""
    return case(
        (ms < 100, _whole(conn, ms / 5.0)),
        (ms < 1000, 20 + _whole(conn, (ms - 100) / 25.0)),
        (ms < 10_000, 56 + _whole(conn, (ms - 1000) / 250.0)),
        (ms < 120_000, 92 + _whole(conn, (ms - 10_000) / 5000.0)),
        else_=114,
    )


def _hour_rows(conn: Connection, start: float, end: float) -> list[dict[str, Any]]:
    r = requests.c
    slot = _whole(conn, (r.ts_start - start) / HOUR).label("slot")
    lat = _bucket(conn, r.latency_ms).label("lat")
    in_range = (r.ts_start >= start, r.ts_start < end, r.workload.is_not(None))
    grouped: dict[tuple[str, int], HourStats] = defaultdict(HourStats)
    latency: dict[tuple[str, int], Tally] = defaultdict(Tally)
    ttft: dict[tuple[str, int], Tally] = defaultdict(Tally)
    totals = select(
        r.workload, slot, lat, func.count(),
        func.coalesce(func.sum(case((r.status >= 400, 1), else_=0)), 0),
        func.coalesce(func.sum(r.cost_nano), 0),
        func.coalesce(func.sum(r.tokens_in + r.tokens_out), 0),
        func.coalesce(func.sum(case((r.guardrails.like(REFUSED), 1), else_=0)), 0),
        func.coalesce(func.sum(case((r.guardrails.is_not(None), 1), else_=0)), 0),
    ).where(*in_range).group_by(r.workload, slot, lat)  # fmt: skip
    for workload, s, bucket, n, errors, cost, tokens, refusals, hits in conn.execute(totals):
        h = grouped[(str(workload), int(s))]
        h.calls, h.errors, h.cost_nano = h.calls + int(n), h.errors + int(errors), h.cost_nano + int(cost)
        h.tokens, h.refusals = h.tokens + int(tokens), h.refusals + int(refusals)
        h.filter_hits += int(hits)
        latency[(str(workload), int(s))].latency[int(bucket)] = int(n)
    first = _bucket(conn, r.ttft_ms).label("ttft")
    streamed = select(r.workload, slot, first, func.count()).where(*in_range, r.ttft_ms.is_not(None))
    for workload, s, bucket, n in conn.execute(streamed.group_by(r.workload, slot, first)):
        ttft[(str(workload), int(s))].latency[int(bucket)] = int(n)
    for key, h in grouped.items():  # a percentile from each hour's histogram, once, here
        h.latency_p95 = latency[key].percentile_ms(0.95)
        h.ttft_p95 = ttft[key].percentile_ms(0.95) if key in ttft else None
        h.ttft_calls = sum(ttft[key].latency.values()) if key in ttft else 0
    return [
        {"bucket": start + s * HOUR, "workload": w, "calls": h.calls, "errors": h.errors, "cost_nano": h.cost_nano,
         "tokens": h.tokens, "refusals": h.refusals, "filter_hits": h.filter_hits, "latency_p95": h.latency_p95,
         "ttft_p95": h.ttft_p95, "ttft_calls": h.ttft_calls}
        for (w, s), h in grouped.items()
    ]  # fmt: skip


def refresh_anomaly_hourly(engine: Engine, now: float, baseline_weeks: int, *, slack_s: float = 600.0) -> int:
    """Roll up every closed hour since the watermark (the first time: `baseline_weeks + 1` weeks back), six
    hours per transaction; returns the hours added. Safe from several processes at once."""
    target = closed_hour(now, slack_s)
    if _ROLLUP.watermark(engine) is None:
        with engine.begin() as conn:
            _ROLLUP.move(conn, None, target - (baseline_weeks + 1) * WEEK)

    def prepare(start: float, end: float) -> Writer:
        with engine.connect() as conn:
            rows = _hour_rows(conn, start, end)  # closed hours: read before the write transaction opens

        def write(conn: Connection) -> None:
            if rows:
                conn.execute(insert(anomaly_hourly), rows)

        return write

    return _ROLLUP.advance(engine, target, 6, prepare)


def rollup_watermark(engine: Engine) -> float | None:
    """Calls that started before this are in `anomaly_hourly` (None before the first roll-up)."""
    return _ROLLUP.watermark(engine)


def read_hours(engine: Engine, workload: str, since: float, until: float) -> dict[float, HourStats]:
    """The workload's rolled-up hours in [since, until)."""
    h = anomaly_hourly.c
    query = select(anomaly_hourly).where(h.workload == workload, h.bucket >= since, h.bucket < until)
    out = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            out[float(row.bucket)] = HourStats(
                int(row.calls), int(row.errors), int(row.cost_nano), int(row.tokens), int(row.refusals),
                int(row.filter_hits), row.latency_p95, row.ttft_p95, int(row.ttft_calls),
            )  # fmt: skip
    return out


_NAMES = tuple(m.name for m in METRICS)


def metric_series(hours: dict[float, HourStats], names: Sequence[str] = _NAMES) -> dict[str, dict[float, HourValue]]:
    """Each request-log metric's hourly series (hours with no calls are absent)."""
    out: dict[str, dict[float, HourValue]] = {name: {} for name in names}
    for hour, stats in hours.items():
        for name in names:
            found = stats.value(name)
            if found is not None and math.isfinite(found[0]):
                out[name][hour] = HourValue(hour, found[0], found[1])
    return out
