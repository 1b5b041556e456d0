"""Migration reports (`model_upgrade_reports`): one row per `upgrade plan`, the details as JSON."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Boolean, Column, Float, Index, String, Table, Text, insert, select, update
from sqlalchemy.engine import Engine

from rungway.models.pins.config import UpgradeGate
from rungway.models.upgrades.model import CallDelta, DatasetRuns, ScorerDelta, UpgradeReport
from rungway.store.schema import metadata

__all__ = ["get_report", "insert_report", "list_reports", "mark_applied", "model_upgrade_reports"]

model_upgrade_reports = Table(
    "model_upgrade_reports",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workload", String(64), nullable=False),
    Column("alias", String(128), nullable=False),
    Column("from_model", String(128), nullable=False),
    Column("to_model", String(128), nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_by", String(256), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("applied_at", Float),
    Column("applied_by", String(256)),
    Index("ix_model_upgrade_reports_workload", "workload", "created_at"),
)


def insert_report(engine: Engine, report: UpgradeReport) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(model_upgrade_reports).values(
                id=report.id,
                workload=report.workload,
                alias=report.alias,
                from_model=report.from_model,
                to_model=report.to_model,
                passed=report.passed,
                body=orjson.dumps(report.body()).decode(),
                created_by=report.created_by,
                created_at=report.created_at,
            )
        )


def _report(row: Any) -> UpgradeReport:
    body = orjson.loads(row.body)
    gate = body.get("gate") or {}
    return UpgradeReport(
        id=row.id,
        workload=row.workload,
        alias=row.alias,
        from_model=row.from_model,
        to_model=row.to_model,
        runs=tuple(DatasetRuns.from_json(r) for r in body.get("runs") or ()),
        scorers=tuple(ScorerDelta.from_json(s) for s in body.get("scorers") or ()),
        cost=CallDelta.from_json(body["cost"]),
        latency=CallDelta.from_json(body["latency"]),
        gate=UpgradeGate(
            int(gate.get("max_regressions", 0)), gate.get("max_cost_increase"), gate.get("max_latency_increase")
        ),
        passed=bool(row.passed),
        reasons=tuple(body.get("reasons") or ()),
        created_by=row.created_by,
        created_at=row.created_at,
        shadow=body.get("shadow"),
        applied_at=row.applied_at,
        applied_by=row.applied_by,
        notes=tuple(body.get("notes") or ()),
    )


def get_report(engine: Engine, report_id: str) -> UpgradeReport | None:
    with engine.connect() as conn:
        row = conn.execute(select(model_upgrade_reports).where(model_upgrade_reports.c.id == report_id)).first()
    return _report(row) if row is not None else None


def list_reports(engine: Engine, workload: str | None, limit: int = 100) -> list[UpgradeReport]:
    query = select(model_upgrade_reports)
    if workload is not None:
        query = query.where(model_upgrade_reports.c.workload == workload)
    query = query.order_by(model_upgrade_reports.c.created_at.desc()).limit(limit)
    with engine.connect() as conn:
        return [_report(r) for r in conn.execute(query)]


def mark_applied(engine: Engine, report_id: str, actor: str, at: float) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(model_upgrade_reports)
            .where(model_upgrade_reports.c.id == report_id)
            .values(applied_at=at, applied_by=actor)
        )
