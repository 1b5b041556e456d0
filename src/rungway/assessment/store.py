"""Assessment history, attestations, claimed stages and organisation thresholds in the store.

Every assessment is kept (one row per workload per run, the full report as JSON) so that history
and drift can be shown; attestations are signed-off entries with an expiry; a claimed stage is
what a team says about itself, shown next to what the evidence says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Boolean, Column, Engine, Float, Index, Integer, String, Table, Text, delete, insert, select

from rungway.assessment.imported import ImportedRun
from rungway.assessment.model import Attestation
from rungway.store.schema import metadata

assessments = Table(
    "assessments",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("run_id", String(40), nullable=False),
    Column("workload", String(64), nullable=False),
    Column("assessed_at", Float, nullable=False),
    Column("trigger", String(16), nullable=False),
    Column("model_version", String(32), nullable=False),
    Column("stage", Integer, nullable=False),
    Column("target_stage", Integer, nullable=False),
    Column("claimed_stage", Integer),
    Column("drift", Boolean, nullable=False),
    Column("report", Text, nullable=False),
    Index("ix_assessments_workload_at", "workload", "assessed_at"),
    Index("ix_assessments_at", "assessed_at"),
)

attestations = Table(
    "attestations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workload", String(64), nullable=False),
    Column("item_id", String(64), nullable=False),
    Column("attested_by", String(256), nullable=False),
    Column("link", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("acting_key", String(40)),  # a0002: the person's key that made it; NULL from the CLI
    Column("not_applicable", Boolean, nullable=False, default=False),  # a0002
    Index("ix_attestations_workload", "workload", "item_id"),
)

assessment_imports = Table(
    "assessment_imports",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workload", String(64), nullable=False),
    Column("item_id", String(64), nullable=False),
    Column("tool", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("run_at", Float, nullable=False),
    Column("commit", String(64)),
    Column("cases", Integer, nullable=False),
    Column("passed", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("source_file", String(256), nullable=False),
    Column("imported_at", Float, nullable=False),
    Column("imported_by", String(256), nullable=False),
    Index("ix_assessment_imports_item_at", "workload", "item_id", "run_at"),
    Index("ix_assessment_imports_at", "run_at"),
)

claimed_stages = Table(
    "claimed_stages",
    metadata,
    Column("workload", String(64), primary_key=True),
    Column("stage", Integer, nullable=False),
    Column("claimed_by", String(256)),
    Column("updated_at", Float, nullable=False),
)

assessment_thresholds = Table(
    "assessment_thresholds",
    metadata,
    Column("check_id", String(64), primary_key=True),
    Column("threshold", Float),
    Column("window_days", Integer),
    Column("updated_by", String(256)),
    Column("updated_at", Float, nullable=False),
)


@dataclass(frozen=True, slots=True)
class StoredAssessment:
    """One workload's assessment as kept in history; `report` is `WorkloadAssessment.to_dict()` plus drift."""

    id: str
    run_id: str
    workload: str
    assessed_at: float
    trigger: str
    stage: int
    target_stage: int
    claimed_stage: int | None
    drift: bool
    report: dict[str, Any]


def insert_assessments(engine: Engine, rows: Sequence[StoredAssessment]) -> None:
    if not rows:
        return
    with engine.begin() as conn:
        conn.execute(
            insert(assessments),
            [
                {
                    "id": r.id,
                    "run_id": r.run_id,
                    "workload": r.workload,
                    "assessed_at": r.assessed_at,
                    "trigger": r.trigger,
                    "model_version": str(r.report.get("model_version", "")),
                    "stage": r.stage,
                    "target_stage": r.target_stage,
                    "claimed_stage": r.claimed_stage,
                    "drift": r.drift,
                    "report": orjson.dumps(r.report).decode(),
                }
                for r in rows
            ],
        )


def _stored(row: Any) -> StoredAssessment:
    m = row._mapping
    return StoredAssessment(
        m["id"],
        m["run_id"],
        m["workload"],
        m["assessed_at"],
        m["trigger"],
        m["stage"],
        m["target_stage"],
        m["claimed_stage"],
        bool(m["drift"]),
        orjson.loads(m["report"]),
    )


def latest_assessments(
    engine: Engine, workloads: Sequence[str] | None = None, trigger: str | None = None
) -> dict[str, StoredAssessment]:
    """The newest stored assessment of each workload (one indexed look-up per workload), of `trigger` if given."""
    with engine.connect() as conn:
        names = (
            list(workloads)
            if workloads is not None
            else [r[0] for r in conn.execute(select(assessments.c.workload).distinct())]
        )
        out: dict[str, StoredAssessment] = {}
        for name in names:
            q = select(assessments).where(assessments.c.workload == name)
            if trigger is not None:
                q = q.where(assessments.c.trigger == trigger)
            row = conn.execute(q.order_by(assessments.c.assessed_at.desc()).limit(1)).first()
            if row is not None:
                out[name] = _stored(row)
    return out


def assessment_history(
    engine: Engine, workload: str | None = None, since: float | None = None, limit: int = 500
) -> list[StoredAssessment]:
    """Stored assessments, oldest first within the newest `limit`."""
    order = (assessments.c.assessed_at.desc(), assessments.c.workload.desc())
    q = select(assessments).order_by(*order).limit(max(1, min(limit, 10_000)))
    if workload:
        q = q.where(assessments.c.workload == workload)
    if since is not None:
        q = q.where(assessments.c.assessed_at >= since)
    with engine.connect() as conn:
        rows = [_stored(r) for r in conn.execute(q)]
    return rows[::-1]


def last_run_at(engine: Engine, trigger: str) -> float | None:
    """When the newest assessment with this trigger ran (the scheduler's guard across replicas)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(assessments.c.assessed_at)
            .where(assessments.c.trigger == trigger)
            .order_by(assessments.c.assessed_at.desc())
            .limit(1)
        ).first()
    return float(row[0]) if row is not None else None


def insert_attestation(engine: Engine, a: Attestation) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(attestations).values(
                id=a.id,
                workload=a.workload,
                item_id=a.item_id,
                attested_by=a.attested_by,
                link=a.link,
                note=a.note,
                created_at=a.created_at,
                expires_at=a.expires_at,
                acting_key=a.acting_key,
                not_applicable=a.not_applicable,
            )
        )


def list_attestations(engine: Engine, workload: str | None = None) -> list[Attestation]:
    q = select(attestations).order_by(attestations.c.created_at)
    if workload:
        q = q.where(attestations.c.workload == workload)
    with engine.connect() as conn:
        return [
            Attestation(
                m["id"],
                m["workload"],
                m["item_id"],
                m["attested_by"],
                m["link"],
                m["created_at"],
                m["expires_at"],
                m["note"],
                m["acting_key"],
                bool(m["not_applicable"]),
            )
            for m in (r._mapping for r in conn.execute(q))
        ]


def insert_import(engine: Engine, run: ImportedRun) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(assessment_imports).values(
                id=run.id,
                workload=run.workload,
                item_id=run.item_id,
                tool=run.tool,
                kind=run.kind,
                run_at=run.run_at,
                commit=run.commit,
                cases=run.cases,
                passed=run.passed,
                failed=run.failed,
                source_file=run.source_file,
                imported_at=run.imported_at,
                imported_by=run.imported_by,
            )
        )


def list_imports(
    engine: Engine, *, since: float | None = None, workload: str | None = None, limit: int = 10_000
) -> list[ImportedRun]:
    """Imported runs, newest first (those that ran at or after `since`)."""
    t = assessment_imports.c
    q = select(assessment_imports).order_by(t.run_at.desc()).limit(max(1, min(limit, 100_000)))
    if since is not None:
        q = q.where(t.run_at >= since)
    if workload:
        q = q.where(t.workload == workload)
    with engine.connect() as conn:
        return [
            ImportedRun(
                m["id"],
                m["workload"],
                m["item_id"],
                m["tool"],
                m["kind"],
                m["run_at"],
                m["commit"],
                m["cases"],
                m["passed"],
                m["failed"],
                m["source_file"],
                m["imported_at"],
                m["imported_by"],
            )
            for m in (r._mapping for r in conn.execute(q))
        ]


def set_claimed_stage(engine: Engine, workload: str, stage: int, by: str | None, now: float) -> None:
    with engine.begin() as conn:
        conn.execute(delete(claimed_stages).where(claimed_stages.c.workload == workload))
        conn.execute(insert(claimed_stages).values(workload=workload, stage=stage, claimed_by=by, updated_at=now))


def claimed_stage_map(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {r.workload: int(r.stage) for r in conn.execute(select(claimed_stages))}


@dataclass(frozen=True, slots=True)
class ThresholdOverride:
    """An organisation's own standard for one check: a threshold fraction and/or a window in days."""

    check_id: str
    threshold: float | None
    window_days: int | None
    updated_by: str | None = None
    updated_at: float = 0.0


def set_threshold(engine: Engine, t: ThresholdOverride) -> None:
    with engine.begin() as conn:
        conn.execute(delete(assessment_thresholds).where(assessment_thresholds.c.check_id == t.check_id))
        conn.execute(
            insert(assessment_thresholds).values(
                check_id=t.check_id,
                threshold=t.threshold,
                window_days=t.window_days,
                updated_by=t.updated_by,
                updated_at=t.updated_at,
            )
        )


def threshold_overrides(engine: Engine) -> dict[str, ThresholdOverride]:
    with engine.connect() as conn:
        return {
            r.check_id: ThresholdOverride(r.check_id, r.threshold, r.window_days, r.updated_by, r.updated_at)
            for r in conn.execute(select(assessment_thresholds))
        }


__all__ = [
    "StoredAssessment",
    "ThresholdOverride",
    "assessment_history",
    "claimed_stage_map",
    "insert_assessments",
    "insert_attestation",
    "insert_import",
    "last_run_at",
    "latest_assessments",
    "list_attestations",
    "list_imports",
    "set_claimed_stage",
    "set_threshold",
    "threshold_overrides",
]
