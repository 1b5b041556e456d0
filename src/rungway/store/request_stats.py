"""Request-log statistics for the dashboard's overview, pre-aggregated by hour so a page is not a scan.

A window's numbers (calls, errors, cost, a latency histogram, per workload and time bucket) are the
sum of its whole hours from `request_hourly` plus a live query over the edges: the partial first hour
and everything after the roll-up's watermark. The roll-up covers hours that ended more than `slack_s`
ago, so records still in a writer queue are not missed (as the assessment's `assessment_hourly`);
a record written later than that (a spill file replayed after an outage) has its hour recomputed
(`reroll_request_hourly`: the server notes the oldest call of each batch it writes). Scanning a
million rows took seconds on SQLite; this reads a few thousand.

Latency percentiles come from a histogram (5 ms steps under 100 ms, 25 ms under 1 s, 250 ms under
10 s, 5 s under 2 minutes, then one bucket), kept per hour and workload as a JSON list of pairs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    func,
    insert,
    or_,
    select,
)

from rungway.store.rollup import HourlyRollup, Writer, closed_hour
from rungway.store.schema import metadata, requests

__all__ = [
    "HOUR",
    "Tally",
    "bucket_upper_ms",
    "rebuild_request_hourly",
    "refresh_request_hourly",
    "request_hourly",
    "request_rollup_state",
    "reroll_request_hourly",
    "rollup_watermark",
    "window_tallies",
]

HOUR = 3600.0
_ROLLUP = "requests"

request_hourly = Table(
    "request_hourly",
    metadata,
    Column("bucket", Float, primary_key=True),
    Column("workload", String(64), primary_key=True),
    Column("requests", BigInteger, nullable=False),
    Column("errors", BigInteger, nullable=False),
    Column("cost_nano", BigInteger, nullable=False),
    Column("latency", Text, nullable=False),  # [[histogram bucket, calls], ...]
    Index("ix_request_hourly_bucket", "bucket"),
)

request_rollup_state = Table(
    "request_rollup_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("watermark", Float, nullable=False),
)


def bucket_upper_ms(index: int) -> float:
    """The upper edge of latency histogram bucket `index`, in ms (the last bucket is open: 2 minutes and more)."""
    if index < 20:
        return (index + 1) * 5.0
    if index < 56:
        return 100.0 + (index - 19) * 25.0
    if index < 92:
        return 1000.0 + (index - 55) * 250.0
    if index < 114:
        return 10_000.0 + (index - 91) * 5000.0
    return math.inf


def _whole(engine: Engine, value: ColumnElement[Any]) -> ColumnElement[Any]:
    """Truncation of a non-negative number: SQLite's CAST truncates, PostgreSQL's rounds (so floor first)."""
    if engine.dialect.name == "postgresql":
        return cast(func.floor(value), Integer)
    return cast(value, Integer)


def _latency_bucket(engine: Engine) -> ColumnElement[Any]:
    ms = requests.c.latency_ms
    return case(
        (ms < 100, _whole(engine, ms / 5.0)),
        (ms < 1000, 20 + _whole(engine, (ms - 100) / 25.0)),
        (ms < 10_000, 56 + _whole(engine, (ms - 1000) / 250.0)),
        (ms < 120_000, 92 + _whole(engine, (ms - 10_000) / 5000.0)),
        else_=114,
    )


def _slot(engine: Engine, origin: float, width_s: float) -> ColumnElement[Any]:
    return _whole(engine, (requests.c.ts_start - origin) / width_s)


@dataclass
class Tally:
    """Calls, errors, cost and the latency histogram of one workload in one time slot (or a whole window)."""

    requests: int = 0
    errors: int = 0
    cost_nano: int = 0
    latency: dict[int, int] = field(default_factory=dict)

    def add(self, requests_: int, errors: int, cost_nano: int, latency: dict[int, int]) -> None:
        self.requests += requests_
        self.errors += errors
        self.cost_nano += cost_nano
        for index, count in latency.items():
            self.latency[index] = self.latency.get(index, 0) + count

    def percentile_ms(self, fraction: float) -> float | None:
        """The upper edge of the histogram bucket holding the `fraction` quantile (nearest rank), or None."""
        total = sum(self.latency.values())
        if total == 0:
            return None
        rank = max(1, math.ceil(total * fraction - 1e-9))
        seen = 0
        for index in sorted(self.latency):
            seen += self.latency[index]
            if seen >= rank:
                return bucket_upper_ms(index)
        return bucket_upper_ms(max(self.latency))


def _live(
    engine: Engine,
    ranges: list[tuple[float, float]],
    workloads: Sequence[str] | None,
    origin: float,
    slot_s: float,
) -> list[tuple[str, int, int, int, int, int]]:
    """(workload, slot, latency bucket, calls, errors, cost_nano) over `ranges` of the request log itself."""
    r = requests.c
    slot = _slot(engine, origin, slot_s).label("slot")
    lat = _latency_bucket(engine).label("lat")
    q = select(
        r.workload,
        slot,
        lat,
        func.count().label("n"),
        func.coalesce(func.sum(case((r.status >= 400, 1), else_=0)), 0).label("errors"),
        func.coalesce(func.sum(r.cost_nano), 0).label("cost"),
    ).where(or_(*(and_(r.ts_start >= a, r.ts_start < b) for a, b in ranges)), r.workload.is_not(None))
    if workloads is not None:
        q = q.where(r.workload.in_(list(workloads)))
    q = q.group_by(r.workload, slot, lat)
    with engine.connect() as conn:
        return [(str(w), int(s), int(b), int(n), int(e), int(c)) for w, s, b, n, e, c in conn.execute(q)]


_HOURLY = HourlyRollup(request_rollup_state, _ROLLUP)


def rollup_watermark(engine: Engine) -> float | None:
    """Calls that started before this time are in `request_hourly`; None before the first roll-up."""
    return _HOURLY.watermark(engine)


def window_tallies(
    engine: Engine,
    since: float,
    until: float,
    slot_s: float,
    workloads: Sequence[str] | None = None,
    *,
    latency: bool = True,
) -> dict[str, dict[int, Tally]]:
    """Per workload, a `Tally` per time slot of `slot_s` seconds from `since` (slot 0) over [since, until).

    Slots of a whole number of hours read the hourly roll-up (hours are aligned to UTC, so slots are
    counted from the hour `since` falls in); shorter slots read the log itself. `latency=False` leaves
    the rolled-up histograms unread (totals only)."""
    out: dict[str, dict[int, Tally]] = defaultdict(dict)

    def tally(workload: str, slot: int) -> Tally:
        found = out[workload].get(slot)
        if found is None:
            found = out[workload][slot] = Tally()
        return found

    hourly = slot_s >= HOUR and slot_s % HOUR == 0
    watermark = rollup_watermark(engine) if hourly else None
    origin = math.floor(since / HOUR) * HOUR if hourly else since
    rolled_from = math.ceil(since / HOUR) * HOUR
    rolled_to = min(watermark, math.floor(until / HOUR) * HOUR) if watermark is not None else rolled_from
    live = [(since, until)]
    if rolled_to > rolled_from:
        h = request_hourly.c
        q = select(h.bucket, h.workload, h.requests, h.errors, h.cost_nano, h.latency).where(
            h.bucket >= rolled_from, h.bucket < rolled_to
        )
        if workloads is not None:
            q = q.where(h.workload.in_(list(workloads)))
        with engine.connect() as conn:
            for bucket, workload, count, errors, cost, encoded in conn.execute(q):
                histogram = {int(i): int(n) for i, n in orjson.loads(encoded)} if latency else {}
                tally(str(workload), int((float(bucket) - origin) // slot_s)).add(
                    int(count), int(errors), int(cost), histogram
                )
        live = [(a, b) for a, b in ((since, rolled_from), (rolled_to, until)) if b > a]
    if live:
        for workload, slot, lat, count, errors, cost in _live(engine, live, workloads, origin, slot_s):
            tally(workload, slot).add(count, errors, cost, {lat: count})
    return out


def _hour_rows(engine: Engine, start: float, end: float) -> list[dict[str, Any]]:
    grouped: dict[tuple[float, str], Tally] = {}
    for workload, slot, lat, count, errors, cost in _live(engine, [(start, end)], None, start, HOUR):
        key = (start + slot * HOUR, workload)
        grouped.setdefault(key, Tally()).add(count, errors, cost, {lat: count})
    return [
        {
            "bucket": bucket,
            "workload": workload,
            "requests": t.requests,
            "errors": t.errors,
            "cost_nano": t.cost_nano,
            "latency": orjson.dumps(sorted(t.latency.items())).decode(),
        }
        for (bucket, workload), t in grouped.items()
    ]


def refresh_request_hourly(engine: Engine, now: float, *, slack_s: float = 600.0, chunk_hours: int = 24) -> int:
    """Roll up every closed hour since the watermark, a day per transaction; returns the hours added.

    Safe to run from several processes: each chunk moves the watermark with a compare-and-set in the
    same transaction (`rungway.store.rollup`), so an hour is rolled up once."""

    def prepare(start: float, end: float) -> Writer:
        rows = _hour_rows(engine, start, end)  # closed hours: read before the write transaction opens

        def write(conn: Connection) -> None:
            if rows:
                conn.execute(insert(request_hourly), rows)

        return write

    return _HOURLY.advance(engine, closed_hour(now, slack_s), chunk_hours, prepare)


def reroll_request_hourly(engine: Engine, start: float, end: float) -> int:
    """Recompute the rolled-up hours in [start, end) from the log: calls that reached the store after their
    hour was rolled up (a spill file replayed after an outage). Returns the hours recomputed."""
    watermark = rollup_watermark(engine)
    start = math.floor(start / HOUR) * HOUR
    end = min(end, watermark) if watermark is not None else start
    if end <= start:
        return 0
    rows = _hour_rows(engine, start, end)
    with engine.begin() as conn:
        conn.execute(request_hourly.delete().where(request_hourly.c.bucket >= start, request_hourly.c.bucket < end))
        if rows:
            conn.execute(insert(request_hourly), rows)
    return int((end - start) / HOUR)


def rebuild_request_hourly(engine: Engine, now: float) -> int:
    """Drop the roll-up and build it again (after back-filling or replaying old request rows)."""
    with engine.begin() as conn:
        conn.execute(request_hourly.delete())
        conn.execute(request_rollup_state.delete())
    return refresh_request_hourly(engine, now)
