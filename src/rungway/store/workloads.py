"""Workloads in the store. Workloads declared in rungway.yaml are upserted at start."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, insert, select, update

from rungway.domain.workloads import ContentCapture, RiskTier, Workload
from rungway.store.schema import workloads


def _workload(row: Any) -> Workload:
    m = row._mapping
    return Workload(
        name=m["name"],
        description=m["description"] or "",
        team=m["team"],
        tenant=m["tenant"],
        risk_tier=RiskTier(m["risk_tier"]),
        content_capture=ContentCapture(m["content_capture"]),
        retention_days=m["retention_days"],
        rpm_limit=m["rpm_limit"],
        tpm_limit=m["tpm_limit"],
        created_at=m["created_at"],
    )


def _values(w: Workload) -> dict[str, Any]:
    return {
        "description": w.description,
        "team": w.team,
        "tenant": w.tenant,
        "risk_tier": w.risk_tier.value,
        "content_capture": w.content_capture.value,
        "retention_days": w.retention_days,
        "rpm_limit": w.rpm_limit,
        "tpm_limit": w.tpm_limit,
    }


def get_workload(engine: Engine, name: str) -> Workload | None:
    with engine.connect() as conn:
        row = conn.execute(select(workloads).where(workloads.c.name == name)).first()
    return _workload(row) if row is not None else None


def list_workloads(engine: Engine) -> list[Workload]:
    with engine.connect() as conn:
        return [_workload(r) for r in conn.execute(select(workloads).order_by(workloads.c.name))]


def workloads_changed_since(engine: Engine, since: float) -> list[Workload]:
    with engine.connect() as conn:
        return [_workload(r) for r in conn.execute(select(workloads).where(workloads.c.updated_at >= since))]


def create_workload(engine: Engine, w: Workload) -> bool:
    """Insert a workload; False when the name exists already."""
    now = time.time()
    with engine.begin() as conn:
        if conn.execute(select(workloads.c.name).where(workloads.c.name == w.name)).first() is not None:
            return False
        conn.execute(
            insert(workloads).values(name=w.name, created_at=w.created_at or now, updated_at=now, **_values(w))
        )
    return True


def upsert_workload(engine: Engine, w: Workload) -> None:
    now = time.time()
    with engine.begin() as conn:
        exists = conn.execute(select(workloads.c.name).where(workloads.c.name == w.name)).first() is not None
        if exists:
            conn.execute(update(workloads).where(workloads.c.name == w.name).values(updated_at=now, **_values(w)))
        else:
            conn.execute(insert(workloads).values(name=w.name, created_at=now, updated_at=now, **_values(w)))
