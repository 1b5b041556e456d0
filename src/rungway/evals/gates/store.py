"""Gate results in the store (table `eval_gates`, migration e0004): each `eval gate` verdict on a run.

Recorded so the assessment can see "a gate before each production change": which run was gated, when, by
whom, whether it passed, and against which baseline. The detail (requirements and their values) is JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Boolean, Column, Engine, Float, Index, String, Table, Text, insert, select

from rungway.store.schema import metadata

__all__ = ["GateRecord", "eval_gates", "insert_gate", "list_gates"]

eval_gates = Table(
    "eval_gates",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("run_id", String(40), nullable=False),
    Column("workload", String(64), nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("baseline_run", String(40)),
    Column("detail", Text, nullable=False),
    Column("created_by", String(256)),
    Column("created_at", Float, nullable=False),
    Index("ix_eval_gates_run", "run_id"),
    Index("ix_eval_gates_workload_created", "workload", "created_at"),
)


@dataclass(frozen=True, slots=True)
class GateRecord:
    """One recorded gate verdict on a run."""

    id: str
    run_id: str
    workload: str
    passed: bool
    baseline_run: str | None
    detail: Mapping[str, Any]
    created_by: str | None
    created_at: float

    def to_json(self) -> dict[str, Any]:
        when = datetime.fromtimestamp(self.created_at, UTC).isoformat(timespec="milliseconds")
        return {
            **self.detail,
            "id": self.id,
            "run_id": self.run_id,
            "workload": self.workload,
            "passed": self.passed,
            "baseline_run": self.baseline_run,
            "created_by": self.created_by,
            "created_at": when.replace("+00:00", "Z"),
        }


def insert_gate(engine: Engine, record: GateRecord) -> None:
    with engine.begin() as conn:
        conn.execute(insert(eval_gates).values(
            id=record.id, run_id=record.run_id, workload=record.workload, passed=record.passed,
            baseline_run=record.baseline_run, detail=orjson.dumps(dict(record.detail)).decode(),
            created_by=record.created_by, created_at=record.created_at,
        ))  # fmt: skip


def list_gates(engine: Engine, run_id: str, limit: int = 100) -> list[GateRecord]:
    """A run's recorded gates, newest first."""
    query = select(eval_gates).where(eval_gates.c.run_id == run_id)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(eval_gates.c.created_at.desc()).limit(limit)).all()
    return [GateRecord(r.id, r.run_id, r.workload, bool(r.passed), r.baseline_run, orjson.loads(r.detail),
                       r.created_by, r.created_at) for r in rows]  # fmt: skip
