"""The anomaly tables (migration an0001) and the reads and writes the detector's loop and the routes make."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from rungway.anomalies.model import Anomaly
from rungway.store.schema import metadata

__all__ = [
    "WatchRow",
    "anomalies",
    "anomaly_hourly",
    "anomaly_rollup_state",
    "anomaly_watch",
    "claim_hours",
    "get_anomaly",
    "insert_anomaly",
    "list_anomalies",
    "open_anomalies",
    "read_watch",
    "update_anomaly",
    "upsert_watch",
]

anomaly_hourly = Table(
    "anomaly_hourly",
    metadata,
    Column("bucket", Float, primary_key=True),
    Column("workload", String(64), primary_key=True),
    Column("calls", BigInteger, nullable=False),
    Column("errors", BigInteger, nullable=False),
    Column("cost_nano", BigInteger, nullable=False),
    Column("tokens", BigInteger, nullable=False),
    Column("refusals", BigInteger, nullable=False),
    Column("filter_hits", BigInteger, nullable=False),
    Column("latency_p95", Float),  # from the hour's latency histogram (the dashboard's buckets), computed once
    Column("ttft_p95", Float),  # the same, over streamed calls
    Column("ttft_calls", BigInteger, nullable=False),
    Index("ix_anomaly_hourly_workload", "workload", "bucket"),
)
anomaly_rollup_state = Table(
    "anomaly_rollup_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("watermark", Float, nullable=False),
)
anomaly_watch = Table(
    "anomaly_watch",
    metadata,
    Column("workload", String(64), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("judged_through", Float),  # every hour starting before this was judged
    Column("evaluated_at", Float),
    Column("metrics", Text, nullable=False),  # the metrics judged in the newest evaluation, JSON list
    Column("updated_at", Float, nullable=False),
)
anomalies = Table(
    "anomalies",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workload", String(64), nullable=False),
    Column("metric", String(160), nullable=False),
    Column("status", String(16), nullable=False),
    Column("opened_at", Float, nullable=False),
    Column("last_hour", Float, nullable=False),
    Column("resolved_at", Float),
    Column("value", Float, nullable=False),
    Column("expected", Float, nullable=False),
    Column("z", Float, nullable=False),
    Column("peak_z", Float, nullable=False),
    Column("reason", String(16), nullable=False),
    Column("calm_hours", Integer, nullable=False),
    Column("dimension", String(32)),
    Column("dimension_value", String(256)),
    Column("explanation", Text, nullable=False),
    Column("traces", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_anomalies_workload", "workload", "opened_at"),
    Index("ix_anomalies_status", "status", "workload"),
)


def _anomaly(row: Any) -> Anomaly:
    return Anomaly(
        row.id, row.workload, row.metric, row.status, float(row.opened_at), float(row.last_hour),
        None if row.resolved_at is None else float(row.resolved_at), float(row.value), float(row.expected),
        float(row.z), float(row.peak_z), row.reason, int(row.calm_hours), row.dimension, row.dimension_value,
        orjson.loads(row.explanation), tuple(orjson.loads(row.traces)), float(row.created_at),
    )  # fmt: skip


def _values(a: Anomaly) -> dict[str, Any]:
    values = a.to_json()
    values["explanation"] = orjson.dumps(a.explanation).decode()
    values["traces"] = orjson.dumps(list(a.traces)).decode()
    values["calm_hours"] = a.calm_hours
    values["dimension_value"] = a.dimension_value[:256] if a.dimension_value else a.dimension_value
    return values


def insert_anomaly(conn: Connection, anomaly: Anomaly) -> bool:
    """Store a new episode; False when another replica stored it first (its id is the episode's)."""
    try:
        with conn.begin_nested():
            conn.execute(insert(anomalies).values(**_values(anomaly)))
    except IntegrityError:
        return False
    return True


def update_anomaly(conn: Connection, anomaly: Anomaly) -> None:
    values = _values(anomaly)
    conn.execute(update(anomalies).where(anomalies.c.id == anomaly.id).values(**values))


def open_anomalies(conn: Connection, workload: str) -> dict[str, Anomaly]:
    """metric -> the workload's open episode of it."""
    c = anomalies.c
    rows = conn.execute(select(anomalies).where(c.status == "open", c.workload == workload))
    return {row.metric: _anomaly(row) for row in rows}


def list_anomalies(
    engine: Engine, workload: str | None, status: str | None, limit: int, since: float | None = None
) -> list[Anomaly]:
    """Newest first; every workload's when `workload` is None (the admin's view)."""
    c = anomalies.c
    query = select(anomalies).order_by(c.opened_at.desc(), c.id)
    if workload is not None:
        query = query.where(c.workload == workload)
    if status is not None:
        query = query.where(c.status == status)
    if since is not None:
        query = query.where(c.last_hour >= since)
    with engine.connect() as conn:
        return [_anomaly(row) for row in conn.execute(query.limit(limit))]


def get_anomaly(engine: Engine, workload: str | None, anomaly_id: str) -> Anomaly | None:
    """One anomaly, or None when missing or another workload's (`workload` None: any)."""
    query = select(anomalies).where(anomalies.c.id == anomaly_id)
    if workload is not None:
        query = query.where(anomalies.c.workload == workload)
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else _anomaly(row)


class WatchRow:
    """A workload's watch state as stored."""

    __slots__ = ("enabled", "evaluated_at", "judged_through", "metrics", "workload")

    def __init__(self, row: Any) -> None:
        self.workload: str = row.workload
        self.enabled: bool = bool(row.enabled)
        self.judged_through: float | None = None if row.judged_through is None else float(row.judged_through)
        self.evaluated_at: float | None = None if row.evaluated_at is None else float(row.evaluated_at)
        self.metrics: tuple[str, ...] = tuple(orjson.loads(row.metrics))


def read_watch(engine: Engine, workloads: Sequence[str] | None = None) -> dict[str, WatchRow]:
    query = select(anomaly_watch)
    if workloads is not None:
        query = query.where(anomaly_watch.c.workload.in_(list(workloads)))
    with engine.connect() as conn:
        return {row.workload: WatchRow(row) for row in conn.execute(query)}


def upsert_watch(engine: Engine, workload: str, enabled: bool, now: float) -> None:
    """Record whether the workload is watched (the configuration of the newest server to tick)."""
    c = anomaly_watch.c
    with engine.begin() as conn:
        done = conn.execute(update(anomaly_watch).where(c.workload == workload).values(enabled=enabled, updated_at=now))
        if not done.rowcount:
            try:
                with conn.begin_nested():
                    conn.execute(insert(anomaly_watch).values(workload=workload, enabled=enabled, metrics="[]",
                                                              updated_at=now))  # fmt: skip
            except IntegrityError:  # another replica inserted it first
                pass


def claim_hours(
    conn: Connection, workload: str, before: float | None, after: float, metrics: Sequence[str], now: float
) -> bool:
    """Move the workload's judged-through mark from `before` to `after` (compare-and-set, in the caller's
    transaction): False when another replica judged these hours first."""
    c = anomaly_watch.c
    same = c.judged_through.is_(None) if before is None else c.judged_through == before
    done = conn.execute(
        update(anomaly_watch)
        .where(c.workload == workload, same)
        .values(judged_through=after, evaluated_at=now, metrics=orjson.dumps(list(metrics)).decode())
    )
    return bool(done.rowcount)


def hourly_workloads(engine: Engine, since: float) -> list[str]:
    """The workloads with rolled-up traffic since `since`."""
    h = anomaly_hourly.c
    with engine.connect() as conn:
        rows = conn.execute(select(h.workload, func.count()).where(h.bucket >= since).group_by(h.workload))
        return sorted(str(r[0]) for r in rows)
