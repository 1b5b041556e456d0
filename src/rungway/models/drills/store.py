"""The `model_drills` table: one row per outage drill, its fault and what the workloads saw."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, Engine, Float, Index, Integer, String, Table, Text, insert, select, update

from rungway.store.schema import metadata

__all__ = ["DrillRow", "insert_drill", "list_drills", "model_drills", "read_drill", "update_drill"]

model_drills = Table(
    "model_drills",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("deployment", String(128), nullable=False),
    Column("fault", String(16), nullable=False),  # error | latency | hang
    Column("error_rate", Float, nullable=False),
    Column("latency_s", Float, nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("ends_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("status", String(16), nullable=False),  # running | finished | interrupted
    Column("actor", String(256), nullable=False),
    Column("calls", Integer, nullable=False),
    Column("served", Integer, nullable=False),
    Column("failed_over", Integer, nullable=False),
    Column("lost", Integer, nullable=False),
    Column("success_rate", Float),
    Column("added_p50_ms", Float),
    Column("added_p99_ms", Float),
    Column("normal_p50_ms", Float),
    Column("normal_p99_ms", Float),
    Column("workloads", Text, nullable=False),  # JSON: {workload: {calls, served, failed_over, lost}}
    Index("ix_model_drills_started_at", "started_at"),
)


@dataclass(frozen=True, slots=True)
class DrillRow:
    id: str
    deployment: str
    fault: str
    error_rate: float
    latency_s: float
    duration_s: float
    started_at: float
    ends_at: float
    finished_at: float | None
    status: str
    actor: str
    calls: int
    served: int
    failed_over: int
    lost: int
    success_rate: float | None
    added_p50_ms: float | None
    added_p99_ms: float | None
    normal_p50_ms: float | None
    normal_p99_ms: float | None
    workloads: str


_FIELDS = [c.name for c in model_drills.columns]


def insert_drill(engine: Engine, row: DrillRow) -> None:
    with engine.begin() as conn:
        conn.execute(insert(model_drills).values(**{n: getattr(row, n) for n in _FIELDS}))


def update_drill(engine: Engine, row: DrillRow) -> None:
    with engine.begin() as conn:
        values = {n: getattr(row, n) for n in _FIELDS if n != "id"}
        conn.execute(update(model_drills).where(model_drills.c.id == row.id).values(**values))


def read_drill(engine: Engine, drill_id: str) -> DrillRow | None:
    with engine.connect() as conn:
        found = conn.execute(select(model_drills).where(model_drills.c.id == drill_id)).first()
    return None if found is None else DrillRow(**dict(found._mapping))


def list_drills(engine: Engine, limit: int = 100) -> list[DrillRow]:
    with engine.connect() as conn:
        rows = conn.execute(select(model_drills).order_by(model_drills.c.started_at.desc()).limit(limit)).all()
    return [DrillRow(**dict(r._mapping)) for r in rows]
