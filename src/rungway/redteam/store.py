"""The red-team tables (migration r0001) and the reads and writes the service makes of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Float,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
)

from rungway.redteam.model import AttackResult
from rungway.store.schema import metadata

__all__ = [
    "RunRecord",
    "redteam_alerts",
    "redteam_results",
    "redteam_runs",
    "redteam_schedules",
    "redteam_triage",
    "run_record",
]

redteam_runs = Table(
    "redteam_runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workload", String(64), nullable=False),
    Column("corpus_version", String(32), nullable=False),
    Column("categories", Text, nullable=False),
    Column("prompt", String(200)),
    Column("model", String(200)),
    Column("judge_model", String(200)),
    Column("seed", BigInteger, nullable=False),
    Column("trigger", String(16), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float, nullable=False),
    Column("attacks", Integer, nullable=False),
    Column("succeeded", Integer, nullable=False),
    Column("errors", Integer, nullable=False),
    Column("rate", Float, nullable=False),
    Column("rates", Text, nullable=False),
    Column("previous_run_id", String(40)),
    Column("created_by", String(256)),
)
redteam_results = Table(
    "redteam_results",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("attack_id", String(80), primary_key=True),
    Column("category", String(64), nullable=False),
    Column("strategy", String(32)),
    Column("goal", String(16), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Column("grader", String(16), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("error", String(500)),
    Column("judge_reason", String(500)),
    Column("transcript", Text, nullable=False),
)
redteam_triage = Table(
    "redteam_triage",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("attack_id", String(80), primary_key=True),
    Column("workload", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("note", String(2000), nullable=False),
    Column("triaged_at", Float, nullable=False),
    Column("triaged_by", String(256)),
)
redteam_schedules = Table(
    "redteam_schedules",
    metadata,
    Column("workload", String(64), primary_key=True),
    Column("every_s", Float, nullable=False),
    Column("categories", Text, nullable=False),
    Column("prompt", String(200)),
    Column("model", String(200)),
    Column("created_at", Float, nullable=False),
    Column("created_by", String(256)),
)
redteam_alerts = Table(
    "redteam_alerts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workload", String(64), nullable=False),
    Column("run_id", String(40), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("message", String(1000), nullable=False),
    Column("created_at", Float, nullable=False),
)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A stored run's summary (its results are read apart)."""

    id: str
    workload: str
    corpus_version: str
    categories: tuple[str, ...]
    prompt: str | None
    model: str | None
    judge_model: str | None
    seed: int
    trigger: str
    started_at: float
    finished_at: float
    attacks: int
    succeeded: int
    errors: int
    rate: float
    rates: dict[str, Any]
    previous_run_id: str | None
    created_by: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "workload": self.workload, "corpus_version": self.corpus_version,
            "categories": list(self.categories), "prompt": self.prompt, "model": self.model,
            "judge_model": self.judge_model, "seed": self.seed, "trigger": self.trigger,
            "started_at": self.started_at, "finished_at": self.finished_at, "attacks": self.attacks,
            "succeeded": self.succeeded, "errors": self.errors, "rate": self.rate, "rates": self.rates,
            "previous_run_id": self.previous_run_id, "created_by": self.created_by,
        }  # fmt: skip


def _plain(row: Any) -> dict[str, Any]:
    """A row as a dict with plain `str` keys (SQLAlchemy's names are a str subclass that orjson refuses)."""
    return {str(k): v for k, v in row._mapping.items()}


def run_record(row: Any) -> RunRecord:
    return RunRecord(
        row.id, row.workload, row.corpus_version, tuple(orjson.loads(row.categories)), row.prompt, row.model,
        row.judge_model, int(row.seed), row.trigger, float(row.started_at), float(row.finished_at), int(row.attacks),
        int(row.succeeded), int(row.errors), float(row.rate), orjson.loads(row.rates), row.previous_run_id,
        row.created_by,
    )  # fmt: skip


def insert_run(conn: Connection, run: RunRecord, results: Sequence[AttackResult]) -> None:
    values = run.to_json()
    values["categories"] = orjson.dumps(values["categories"]).decode()
    values["rates"] = orjson.dumps(values["rates"]).decode()
    conn.execute(insert(redteam_runs).values(**values))
    rows = []
    for r in results:
        row = r.to_json()
        row["transcript"] = orjson.dumps(row["transcript"]).decode()
        rows.append({**row, "run_id": run.id, "reason": r.reason[:500]})
    if rows:
        conn.execute(insert(redteam_results), rows)


def read_runs(conn: Connection, workload: str | None, limit: int, trigger: str | None = None) -> list[RunRecord]:
    """Newest first; every workload's when `workload` is None (the admin's view)."""
    query = select(redteam_runs).order_by(redteam_runs.c.started_at.desc(), redteam_runs.c.id.desc())
    if workload is not None:
        query = query.where(redteam_runs.c.workload == workload)
    if trigger is not None:
        query = query.where(redteam_runs.c.trigger == trigger)
    return [run_record(row) for row in conn.execute(query.limit(limit))]


def read_run(conn: Connection, run_id: str) -> RunRecord | None:
    row = conn.execute(select(redteam_runs).where(redteam_runs.c.id == run_id)).first()
    return None if row is None else run_record(row)


def previous_run(conn: Connection, workload: str, started_at: float, run_id: str) -> RunRecord | None:
    c = redteam_runs.c
    row = conn.execute(
        select(redteam_runs)
        .where(c.workload == workload, c.id != run_id, c.started_at <= started_at)
        .order_by(c.started_at.desc(), c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else run_record(row)


def read_results(conn: Connection, run_id: str) -> list[AttackResult]:
    rows = conn.execute(
        select(redteam_results).where(redteam_results.c.run_id == run_id).order_by(redteam_results.c.attack_id)
    )
    out = []
    for row in rows:
        data = _plain(row)
        data["transcript"] = orjson.loads(data["transcript"])
        out.append(AttackResult.from_json(data))
    return out


def read_triage(conn: Connection, run_ids: Sequence[str]) -> dict[tuple[str, str], dict[str, Any]]:
    """(run id, attack id) -> the triage of that finding."""
    if not run_ids:
        return {}
    rows = conn.execute(select(redteam_triage).where(redteam_triage.c.run_id.in_(list(run_ids))))
    return {(r.run_id, r.attack_id): {"status": r.status, "note": r.note, "triaged_at": r.triaged_at,
                                      "triaged_by": r.triaged_by} for r in rows}  # fmt: skip


def upsert_triage(conn: Connection, values: dict[str, Any]) -> None:
    c = redteam_triage.c
    conn.execute(delete(redteam_triage).where(c.run_id == values["run_id"], c.attack_id == values["attack_id"]))
    conn.execute(insert(redteam_triage).values(**values))


def insert_alert(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(redteam_alerts).values(**values))


def read_alerts(conn: Connection, workload: str | None, limit: int = 100) -> list[dict[str, Any]]:
    query = select(redteam_alerts).order_by(redteam_alerts.c.created_at.desc()).limit(limit)
    if workload is not None:
        query = query.where(redteam_alerts.c.workload == workload)
    return [_plain(row) for row in conn.execute(query)]


def read_schedules(conn: Connection, workload: str | None = None) -> list[dict[str, Any]]:
    query = select(redteam_schedules).order_by(redteam_schedules.c.workload)
    if workload is not None:
        query = query.where(redteam_schedules.c.workload == workload)
    out = []
    for row in conn.execute(query):
        data = _plain(row)
        data["categories"] = orjson.loads(data["categories"])
        out.append(data)
    return out


def put_schedule(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(delete(redteam_schedules).where(redteam_schedules.c.workload == values["workload"]))
    categories = orjson.dumps(values["categories"]).decode()
    conn.execute(insert(redteam_schedules).values(**{**values, "categories": categories}))


def delete_schedule(conn: Connection, workload: str) -> bool:
    done = conn.execute(delete(redteam_schedules).where(redteam_schedules.c.workload == workload))
    return bool(done.rowcount)
