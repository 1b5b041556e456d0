"""The forecasts tables (migration fc0001): the daily spend roll-up, its watermark and the alert episodes.

`forecast_daily` holds, per UTC day, workload and dimension (workload, team, model, user, key), the summed cost
of the calls that started that day. A running server keeps it current with `refresh_rollup` (closed hours are
added once, across replicas, by `rungway.store.rollup`'s compare-and-set watermark); a day rolled up in
several chunks has several rows, which reads sum. So a forecast reads at most a few thousand small rows, never
the request log: the read costs the same at a million calls as at a thousand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    Select,
    String,
    Table,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from rungway.domain.timespec import DAY
from rungway.store.rollup import HourlyRollup, Writer, closed_hour
from rungway.store.schema import LATE_ROW, metadata, requests

__all__ = [
    "DIMENSIONS",
    "AlertEpisode",
    "DailySpend",
    "close_episode",
    "compact_days",
    "daily_spend",
    "episodes_in_period",
    "forecast_alerts",
    "forecast_daily",
    "forecast_rollup_state",
    "is_current",
    "open_episode",
    "open_episodes",
    "read_episodes",
    "recount_late_days",
    "refresh_rollup",
    "rollup_watermark",
    "top_keys",
]

forecast_daily = Table(
    "forecast_daily",
    metadata,
    Column("day", Integer, nullable=False),
    Column("workload", String(64)),
    Column("dim", String(16), nullable=False),
    Column("key", String(256)),
    Column("cost_nano", BigInteger, nullable=False),
    Column("requests", BigInteger, nullable=False),
    Index("ix_forecast_daily_dim_day", "dim", "day"),
    Index("ix_forecast_daily_workload", "workload", "dim", "day"),
)
forecast_rollup_state = Table(
    "forecast_rollup_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("watermark", Float, nullable=False),
)
forecast_alerts = Table(
    "forecast_alerts",
    metadata,
    Column("id", String(96), primary_key=True),
    Column("budget_id", String(40), nullable=False),
    Column("budget_name", String(128), nullable=False),
    Column("workload", String(64)),
    Column("period_start", Float, nullable=False),
    Column("period_end", Float, nullable=False),
    Column("exhaust_at", Float, nullable=False),
    Column("earliest", Float),
    Column("latest", Float),
    Column("opened_at", Float, nullable=False),
    Column("closed_at", Float),
    Column("message", String(500), nullable=False),
    Index("ix_forecast_alerts_budget", "budget_id", "period_start"),
)

r = requests.c
DIMENSIONS: dict[str, ColumnElement[str | None]] = {
    "workload": r.workload,
    "team": r.team,
    "model": r.model_requested,
    "user": r.user_id,
    "key": r.key_id,
}
"""What spend is forecast by; `key` serves key budgets (the CLI and API offer the other four)."""

ROLLUP = HourlyRollup(forecast_rollup_state, "daily")
LATE_RECOUNT = HourlyRollup(forecast_rollup_state, "late")  # its watermark: when late rows were last looked for
COMPACTED = HourlyRollup(forecast_rollup_state, "compact")  # its watermark: days before it hold one row per key
SLACK_S = 600.0  # an hour is rolled up once every call in it has had this long to be written


def _day(engine: Engine) -> ColumnElement[int]:
    if engine.dialect.name == "postgresql":
        return cast(func.floor(r.ts_start / DAY), Integer)
    return cast(r.ts_start / DAY, Integer)  # SQLite truncates toward zero; times are positive


def _write(engine: Engine, start: float, end: float) -> Writer:
    day = _day(engine)

    def write(conn: Connection) -> None:
        for dim, column in DIMENSIONS.items():
            grouped = (
                select(day, r.workload, literal(dim), column, func.coalesce(func.sum(r.cost_nano), 0), func.count())
                .where(r.ts_start >= start, r.ts_start < end)
                .group_by(day, r.workload, column)
            )
            names = ["day", "workload", "dim", "key", "cost_nano", "requests"]
            conn.execute(insert(forecast_daily).from_select(names, grouped))

    return write


def recount_late_days(engine: Engine, now: float) -> int:
    """Roll up again each rolled-up day a late row landed in since the last look (a spill replayed, a
    backlog drained: rows stored after the watermark passed their hour); returns the days recounted.

    Late rows are found through the partial index `ix_requests_late` (only late rows are in it); the scan
    overlaps the previous one by SLACK_S, so a row committed just after that look is not missed (recounting
    a day twice gives the same sums)."""
    rolled_to = ROLLUP.watermark(engine)
    if rolled_to is None:
        return 0
    last = LATE_RECOUNT.watermark(engine)
    with engine.begin() as conn:
        if not LATE_RECOUNT.move(conn, last, now):
            return 0  # another process is looking
        late = select(_day(engine)).where(LATE_ROW, r.ts_start < rolled_to)
        if last is not None:
            late = late.where(r.recorded_at >= last - SLACK_S)
        days = sorted({int(d) for (d,) in conn.execute(late.distinct())})
        for day in days:
            conn.execute(delete(forecast_daily).where(forecast_daily.c.day == day))
            _write(engine, day * DAY, min((day + 1) * DAY, rolled_to))(conn)
    return len(days)


def _start_on_a_day(engine: Engine) -> None:
    """Start the roll-up at the UTC midnight before the oldest call, so that the catch-up's chunks (a day each
    on SQLite) are whole days: one row per key and day."""
    with engine.connect() as conn:
        first = conn.execute(select(func.min(r.ts_start))).scalar()
    if first is None:
        return
    with engine.begin() as conn:
        ROLLUP.move(conn, None, math.floor(float(first) / DAY) * DAY)


def compact_days(engine: Engine) -> int:
    """Merge the rows of each whole day rolled up in several chunks (a running server adds an hour at a time)
    into one row per workload and key; returns the days compacted. Reads then sum a row per key and day."""
    rolled_to = ROLLUP.watermark(engine)
    if rolled_to is None:
        return 0
    done = COMPACTED.watermark(engine)
    start = math.floor(rolled_to / DAY) * DAY - DAY if done is None else done
    end = math.floor(rolled_to / DAY) * DAY  # the day the watermark is in is not whole yet
    if end <= start:
        return 0
    c = forecast_daily.c
    grouped = select(c.day, c.workload, c.dim, c.key, func.sum(c.cost_nano), func.sum(c.requests))
    names = ["day", "workload", "dim", "key", "cost_nano", "requests"]
    with engine.begin() as conn:
        if not COMPACTED.move(conn, done, end):
            return 0  # another process compacts
        for day in range(int(start / DAY), int(end / DAY)):
            rows = conn.execute(grouped.where(c.day == day).group_by(c.day, c.workload, c.dim, c.key)).all()
            conn.execute(delete(forecast_daily).where(c.day == day))
            if rows:
                conn.execute(insert(forecast_daily), [dict(zip(names, row, strict=True)) for row in rows])
    return int((end - start) / DAY)


def refresh_rollup(engine: Engine, now: float) -> int:
    """Recount the days late rows landed in, roll up every closed hour since the watermark (a day per
    transaction on SQLite, so the gateway's writer is never held off long), then compact the whole days;
    returns the hours added. Safe from several processes at once (each step moves its watermark with a
    compare-and-set in the transaction that does the work)."""
    if ROLLUP.watermark(engine) is None:
        _start_on_a_day(engine)
    recount_late_days(engine, now)
    chunk = 24 if engine.dialect.name == "sqlite" else 24 * 366
    hours = ROLLUP.advance(engine, closed_hour(now, SLACK_S), chunk, lambda start, end: _write(engine, start, end))
    compact_days(engine)
    return hours


def is_current(engine: Engine, now: float) -> bool:
    """Every closed hour is rolled up (a read needs no refresh first)."""
    watermark = ROLLUP.watermark(engine)
    return watermark is not None and watermark >= closed_hour(now, SLACK_S)


def rollup_watermark(engine: Engine) -> float | None:
    """Calls that started before this time are in `forecast_daily`; None before the first roll-up."""
    return ROLLUP.watermark(engine)


@dataclass(frozen=True, slots=True)
class DailySpend:
    """One key's spend on one UTC day (`day`: days since the epoch), in nano-dollars."""

    key: str | None
    day: int
    cost_nano: int
    requests: int


def _keyed(q: Select[Any], keys: Sequence[str | None]) -> Select[Any]:
    c = forecast_daily.c
    named = [k for k in keys if k is not None]
    return q.where(or_(c.key.in_(named), c.key.is_(None)) if None in keys else c.key.in_(named))


def daily_spend(
    engine: Engine,
    dim: str,
    first_day: int,
    last_day: int,
    workload: str | None = None,
    key: str | None = None,
    keys: Sequence[str | None] | None = None,
) -> list[DailySpend]:
    """Spend per key and day over [first_day, last_day] of one dimension, all workloads' or one's, every key's
    or one `key`'s or those in `keys`."""
    c = forecast_daily.c
    q = (
        select(c.key, c.day, func.sum(c.cost_nano), func.sum(c.requests))
        .where(c.dim == dim, c.day >= first_day, c.day <= last_day)
        .group_by(c.key, c.day)
    )
    if workload is not None:
        q = q.where(c.workload == workload)
    if key is not None:
        q = q.where(c.key == key)
    if keys is not None:
        q = _keyed(q, keys)
    with engine.connect() as conn:
        return [DailySpend(row[0], int(row[1]), int(row[2] or 0), int(row[3] or 0)) for row in conn.execute(q)]


def top_keys(
    engine: Engine, dim: str, first_day: int, last_day: int, workload: str | None, limit: int
) -> tuple[list[str | None], int]:
    """The `limit` keys of a dimension with the most spend over [first_day, last_day], costliest first, and
    how many keys spent anything: a forecast then reads the series of those keys only."""
    c = forecast_daily.c
    total = func.sum(c.cost_nano)
    q = select(c.key, total).where(c.dim == dim, c.day >= first_day, c.day <= last_day).group_by(c.key)
    if workload is not None:
        q = q.where(c.workload == workload)
    with engine.connect() as conn:
        ranked = [(row[0], int(row[1] or 0)) for row in conn.execute(q.having(total > 0))]
    ranked.sort(key=lambda kv: (-kv[1], str(kv[0])))
    return [k for k, _ in ranked[:limit]], len(ranked)


@dataclass(frozen=True, slots=True)
class AlertEpisode:
    """A stretch of time in which a budget's forecast ran out inside its period: opened once, closed when the
    forecast no longer does (or the period ended)."""

    id: str
    budget_id: str
    budget_name: str
    workload: str | None
    period_start: float
    period_end: float
    exhaust_at: float
    earliest: float | None
    latest: float | None
    opened_at: float
    closed_at: float | None
    message: str


def _episode(row: object) -> AlertEpisode:
    return AlertEpisode(*(getattr(row, name) for name in AlertEpisode.__slots__))


def open_episodes(engine: Engine) -> dict[tuple[str, float], AlertEpisode]:
    """(budget id, period start) -> its open episode."""
    c = forecast_alerts.c
    with engine.connect() as conn:
        rows = conn.execute(select(forecast_alerts).where(c.closed_at.is_(None)))
        return {(e.budget_id, e.period_start): e for e in map(_episode, rows)}


def open_episode(engine: Engine, episode: AlertEpisode) -> bool:
    """Store a new episode; False when another replica opened the same one first (its id is the budget, the
    period and the number of episodes before it in that period)."""
    values = {name: getattr(episode, name) for name in AlertEpisode.__slots__}
    try:
        with engine.begin() as conn:
            conn.execute(insert(forecast_alerts).values(**values))
    except IntegrityError:
        return False
    return True


def episodes_in_period(engine: Engine, budget_id: str, period_start: float) -> int:
    c = forecast_alerts.c
    with engine.connect() as conn:
        q = select(func.count()).where(c.budget_id == budget_id, c.period_start == period_start)
        return int(conn.execute(q).scalar_one())


def close_episode(engine: Engine, episode_id: str, now: float) -> None:
    with engine.begin() as conn:
        c = forecast_alerts.c
        conn.execute(update(forecast_alerts).where(c.id == episode_id, c.closed_at.is_(None)).values(closed_at=now))


def read_episodes(engine: Engine, budget_ids: Sequence[str] | None, limit: int = 50) -> list[AlertEpisode]:
    """Newest first; every budget's when `budget_ids` is None (the admin's view)."""
    c = forecast_alerts.c
    q = select(forecast_alerts).order_by(c.opened_at.desc(), c.id).limit(limit)
    if budget_ids is not None:
        if not budget_ids:
            return []
        q = q.where(c.budget_id.in_(list(budget_ids)))
    with engine.connect() as conn:
        return [_episode(row) for row in conn.execute(q)]
