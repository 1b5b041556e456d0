"""Counting an SLO's good and valid events over a time range, cheaply at a million request-log rows.

Request-log SLOs (availability, latency) keep an hourly roll-up per definition (`slo_hourly`, one row per
series and closed hour) moved forward by the evaluation loop with the core's `HourlyRollup` (a watermark
per series, advanced with a compare-and-set, so several replicas roll each hour up once). A window's counts
are the sum of its whole rolled-up hours plus range counts over its edges on the `(workload, ts_start)`
index: the partial first hour and everything after the watermark (about an hour). A 30-day SLI reads ~720
small rows and two short index ranges, never a scan of the window.

Quality SLOs count the evals capability's online scores (`rungway.evals.public.online_score_counts`, a range
count on the scores' `(workload, created_at)` index): online scores are sampled, far fewer than calls.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Integer, and_, case, cast, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from rungway.evals.public import online_score_counts
from rungway.slos.burn import BURN_WINDOWS, DAY, HOUR, Counts, SloStatus, status_of
from rungway.slos.model import Slo
from rungway.slos.store import Definition, slo_hourly, slo_rollup_state
from rungway.store.rollup import HourlyRollup, Writer, closed_hour
from rungway.store.schema import requests

__all__ = ["ROLLUP_SLACK_S", "counts_between", "evaluate", "refresh_rollup", "request_condition"]

ROLLUP_SLACK_S = 600.0  # an hour is rolled up once its calls have had this long to reach the store
_CHUNK_HOURS = 24 * 7


def request_condition(slo: Slo) -> tuple[ColumnElement[Any], ColumnElement[Any], ColumnElement[Any]]:
    """(which rows belong to the SLO, which of them are valid events, which of those are good)."""
    r = requests.c
    scope: list[ColumnElement[Any]] = [r.workload == slo.workload]
    if slo.model is not None:
        scope.append(r.model_requested == slo.model)
    if slo.route is not None:
        scope.append(r.route_rule == slo.route)
    if slo.kind == "availability":
        valid = or_(r.status < 400, r.status >= 500)  # the caller's 4xx are not events
        good = r.status < 400
    else:
        measured = r.latency_ms if slo.measure == "total" else r.ttft_ms
        valid = and_(r.status < 400, measured.is_not(None))
        good = measured <= (slo.threshold_ms or 0.0)
    return and_(*scope), valid, and_(valid, good)


def _sums(valid: ColumnElement[Any], good: ColumnElement[Any]) -> list[ColumnElement[Any]]:
    return [func.coalesce(func.sum(case((good, 1), else_=0)), 0), func.coalesce(func.sum(case((valid, 1), else_=0)), 0)]


def _live(conn: Connection, slo: Slo, ranges: Sequence[tuple[float, float]]) -> Counts:
    """Counts over `ranges` of the request log itself (index ranges on (workload, ts_start))."""
    if not ranges:
        return Counts()
    scope, valid, good = request_condition(slo)
    r = requests.c
    within = or_(*(and_(r.ts_start >= a, r.ts_start < b) for a, b in ranges))
    g, t = conn.execute(select(*_sums(valid, good)).where(scope, within)).one()
    return Counts(int(g), int(t))


def _hour_rows(engine: Engine, slo: Slo, series: str, start: float, end: float) -> list[dict[str, Any]]:
    scope, valid, good = request_condition(slo)
    r = requests.c
    offset = (r.ts_start - start) / HOUR  # non-negative: SQLite's CAST truncates, PostgreSQL's rounds
    hour = (cast(func.floor(offset), Integer) if engine.dialect.name == "postgresql" else cast(offset, Integer)).label(
        "hour"
    )
    query = (select(hour, *_sums(valid, good)).where(scope, r.ts_start >= start, r.ts_start < end)
             .group_by(hour))  # fmt: skip
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [{"series": series, "bucket": start + int(h) * HOUR, "good": int(g), "total": int(t)}
            for h, g, t in rows if int(t)]  # fmt: skip


def refresh_rollup(engine: Engine, definition: Definition, now: float) -> int:
    """Roll the SLO's closed hours up to `now - slack`, starting a window back the first time; hours added."""
    slo, series = definition.slo, definition.series
    if slo.kind == "quality":
        return 0
    rollup = HourlyRollup(slo_rollup_state, series)
    if rollup.watermark(engine) is None:
        start = math.floor((now - slo.window_days * DAY) / HOUR) * HOUR
        try:
            with engine.begin() as conn:
                conn.execute(insert(slo_rollup_state).values(name=series, watermark=start))
        except IntegrityError:
            pass  # another replica started it first: carry on from its watermark

    def prepare(start: float, end: float) -> Writer:
        rows = _hour_rows(engine, slo, series, start, end)

        def write(conn: Connection) -> None:
            if rows:
                conn.execute(insert(slo_hourly), rows)

        return write

    return rollup.advance(engine, closed_hour(now, ROLLUP_SLACK_S), _CHUNK_HOURS, prepare)


class _Hours:
    """The rolled-up hours of one series, read once per evaluation."""

    def __init__(self, conn: Connection, series: str, since: float) -> None:
        h, s = slo_hourly.c, slo_rollup_state.c
        mark = conn.execute(select(s.watermark).where(s.name == series)).scalar()
        self.watermark = float(mark) if mark is not None else None
        rows = conn.execute(select(h.bucket, h.good, h.total).where(h.series == series, h.bucket >= since))
        self.rows = [(float(b), int(g), int(t)) for b, g, t in rows]


def counts_between(conn: Connection, slo: Slo, since: float, until: float, hours: _Hours | None) -> Counts:
    """Good and valid events in [since, until): whole rolled-up hours plus the log over the edges."""
    if slo.kind == "quality":
        engine = conn.engine
        g, t = online_score_counts(engine, slo.workload, since, until, name=slo.score, passing_at=slo.pass_threshold)
        return Counts(g, t)
    rolled_from = math.ceil(since / HOUR) * HOUR
    watermark = hours.watermark if hours is not None else None
    rolled_to = min(watermark, math.floor(until / HOUR) * HOUR) if watermark is not None else rolled_from
    if hours is None or rolled_to <= rolled_from:
        return _live(conn, slo, [(since, until)])
    rolled = Counts()
    for bucket, good, total in hours.rows:
        if rolled_from <= bucket < rolled_to:
            rolled = rolled + Counts(good, total)
    edges = [(a, b) for a, b in ((since, rolled_from), (rolled_to, until)) if b > a]
    return rolled + _live(conn, slo, edges)


def evaluate(engine: Engine, definition: Definition, now: float) -> SloStatus:
    """The SLO's status at `now`: the window's counts and every burn window's (the roll-up as it stands)."""
    slo = definition.slo
    with engine.connect() as conn:
        hours = _Hours(conn, definition.series, now - slo.window_days * DAY - HOUR) if slo.kind != "quality" else None
        window = counts_between(conn, slo, now - slo.window_days * DAY, now, hours)
        by_window = {s: counts_between(conn, slo, now - s, now, hours) for s in BURN_WINDOWS}
    return status_of(now, slo.objective, window, by_window)
