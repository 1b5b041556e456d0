"""The failover records' tables: `model_incidents` (one row per incident a replica saw: a deployment's
circuit opened, then closed) and `model_incident_workloads` (its counts per affected workload).

Rows are written by the recorder's background task (`recorder.py`): inserted when the circuit opens,
updated while it stays open and when it closes. Times are epoch seconds, as in the rest of the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Column, Engine, Float, Index, Integer, String, Table, delete, insert, select, update

from rungway.store.schema import metadata

__all__ = [
    "IncidentRow",
    "WorkloadRow",
    "list_incidents",
    "model_incident_workloads",
    "model_incidents",
    "read_incident",
    "save_incident",
]

model_incidents = Table(
    "model_incidents",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("deployment", String(128), nullable=False),
    Column("opened_at", Float, nullable=False),
    Column("closed_at", Float),
    Column("cause", String(16), nullable=False),  # traffic | shared
    Column("calls", Integer, nullable=False),
    Column("served", Integer, nullable=False),
    Column("failed_over", Integer, nullable=False),
    Column("lost", Integer, nullable=False),
    Column("added_p50_ms", Float),
    Column("added_p99_ms", Float),
    Column("normal_p50_ms", Float),
    Column("normal_p99_ms", Float),
    Index("ix_model_incidents_opened_at", "opened_at"),
)

model_incident_workloads = Table(
    "model_incident_workloads",
    metadata,
    Column("incident_id", String(40), primary_key=True),
    Column("workload", String(64), primary_key=True),
    Column("calls", Integer, nullable=False),
    Column("served", Integer, nullable=False),
    Column("failed_over", Integer, nullable=False),
    Column("lost", Integer, nullable=False),
    Index("ix_model_incident_workloads_workload", "workload"),
)


@dataclass(frozen=True, slots=True)
class WorkloadRow:
    workload: str
    calls: int
    served: int
    failed_over: int
    lost: int


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """One incident as stored; `workloads` is filled by `read_incident` only."""

    id: str
    deployment: str
    opened_at: float
    closed_at: float | None
    cause: str
    calls: int
    served: int
    failed_over: int
    lost: int
    added_p50_ms: float | None
    added_p99_ms: float | None
    normal_p50_ms: float | None
    normal_p99_ms: float | None
    workloads: tuple[WorkloadRow, ...] = ()

    @property
    def success_rate(self) -> float | None:
        return round(self.served / self.calls, 6) if self.calls else None


_FIELDS = [c.name for c in model_incidents.columns]


def save_incident(engine: Engine, row: IncidentRow) -> None:
    """Insert or update the incident and replace its per-workload counts, in one transaction."""
    values = {name: getattr(row, name) for name in _FIELDS}
    with engine.begin() as conn:
        changed = conn.execute(update(model_incidents).where(model_incidents.c.id == row.id).values(**values))
        if changed.rowcount == 0:
            conn.execute(insert(model_incidents).values(**values))
        conn.execute(delete(model_incident_workloads).where(model_incident_workloads.c.incident_id == row.id))
        if row.workloads:
            conn.execute(
                insert(model_incident_workloads),
                [{"incident_id": row.id, **_workload_values(w)} for w in row.workloads],
            )


def _workload_values(w: WorkloadRow) -> dict[str, object]:
    return {"workload": w.workload, "calls": w.calls, "served": w.served, "failed_over": w.failed_over, "lost": w.lost}


def list_incidents(
    engine: Engine, workload: str | None, since: float | None = None, limit: int = 100
) -> list[IncidentRow]:
    """Newest first; only those that affected `workload` unless it is None (admin)."""
    query = select(model_incidents).order_by(model_incidents.c.opened_at.desc()).limit(limit)
    if since is not None:
        query = query.where(model_incidents.c.opened_at >= since)
    if workload is not None:
        affected = select(model_incident_workloads.c.incident_id).where(model_incident_workloads.c.workload == workload)
        query = query.where(model_incidents.c.id.in_(affected))
    with engine.connect() as conn:
        return [IncidentRow(**dict(r._mapping)) for r in conn.execute(query)]


def read_incident(engine: Engine, incident_id: str, workload: str | None) -> IncidentRow | None:
    """The incident with its workloads; None when missing or when it did not affect `workload`."""
    with engine.connect() as conn:
        found = conn.execute(select(model_incidents).where(model_incidents.c.id == incident_id)).first()
        if found is None:
            return None
        rows = conn.execute(
            select(model_incident_workloads)
            .where(model_incident_workloads.c.incident_id == incident_id)
            .order_by(model_incident_workloads.c.workload)
        ).all()
    workloads = tuple(WorkloadRow(r.workload, r.calls, r.served, r.failed_over, r.lost) for r in rows)
    if workload is not None and all(w.workload != workload for w in workloads):
        return None
    incident = IncidentRow(**dict(found._mapping))
    return IncidentRow(**{**{n: getattr(incident, n) for n in _FIELDS}, "workloads": workloads})


def workload_view(row: IncidentRow, workload: str | None) -> IncidentRow:
    """What a workload may see of an incident: only its own line among the affected workloads."""
    if workload is None:
        return row
    mine: Sequence[WorkloadRow] = [w for w in row.workloads if w.workload == workload]
    return IncidentRow(**{**{n: getattr(row, n) for n in _FIELDS}, "workloads": tuple(mine)})
