"""The `model_shadow_runs` and `model_shadow_results` tables (migration m0005) and their reads and writes."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Float,
    Index,
    Integer,
    String,
    Table,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from rungway.models.shadow.model import ShadowResult, ShadowRun
from rungway.store.schema import metadata

__all__ = [
    "RESULT_FIELDS",
    "active_runs",
    "add_dropped",
    "count_results",
    "find_run",
    "insert_results",
    "insert_run",
    "list_runs",
    "read_results",
    "stop_runs",
    "update_run_bounds",
]

model_shadow_runs = Table(
    "model_shadow_runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workload", String(64), nullable=False),
    Column("from_model", String(128), nullable=False),
    Column("to_model", String(128), nullable=False),
    Column("sample", Float, nullable=False),
    Column("max_in_flight", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("ends_at", Float),
    Column("stopped_at", Float),
    Column("started_by", String(256)),
    Column("stopped_by", String(256)),
    Column("source", String(16), nullable=False),
    Column("dropped", BigInteger, nullable=False, server_default="0"),
    Index("ix_model_shadow_runs_workload", "workload", "started_at"),
)

model_shadow_results = Table(
    "model_shadow_results",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("run_id", String(40), nullable=False),
    Column("workload", String(64), nullable=False),
    Column("request_id", String(40), nullable=False),
    Column("ts", Float, nullable=False),
    Column("stream", Boolean, nullable=False),
    Column("a_latency_ms", Float, nullable=False),
    Column("b_latency_ms", Float),
    Column("a_tokens_in", Integer, nullable=False),
    Column("a_tokens_out", Integer, nullable=False),
    Column("b_tokens_in", Integer, nullable=False),
    Column("b_tokens_out", Integer, nullable=False),
    Column("a_cost_nano", BigInteger, nullable=False),
    Column("b_cost_nano", BigInteger, nullable=False),
    Column("a_priced", Boolean, nullable=False),
    Column("b_priced", Boolean, nullable=False),
    Column("b_error", String(256)),
    Column("exact_match", Boolean),
    Column("token_f1", Float),
    Column("rouge_l", Float),
    Column("json_valid", Boolean),
    Column("tool_names_equal", Boolean),
    Index("ix_model_shadow_results_run", "run_id", "ts"),
)

RESULT_FIELDS = tuple(f.name for f in dataclasses.fields(ShadowResult))
_RUN_FIELDS = tuple(f.name for f in dataclasses.fields(ShadowRun))


def _run(row: Any) -> ShadowRun:
    return ShadowRun(**{name: getattr(row, name) for name in _RUN_FIELDS})


def insert_run(engine: Engine, run: ShadowRun, *, replaces: bool = True) -> bool:
    """Store a new run; with `replaces`, the workload's other active runs stop first (one at a time).
    False when a run with this id exists already (a configured run another replica seeded)."""
    with engine.begin() as conn:
        if replaces:
            c = model_shadow_runs.c
            conn.execute(
                update(model_shadow_runs)
                .where(c.workload == run.workload, c.stopped_at.is_(None), c.id != run.id)
                .values(stopped_at=run.started_at, stopped_by=run.started_by)
            )
        try:
            with conn.begin_nested():
                conn.execute(insert(model_shadow_runs).values(**dataclasses.asdict(run)))
        except IntegrityError:
            return False
    return True


def find_run(engine: Engine, run_id: str) -> ShadowRun | None:
    with engine.connect() as conn:
        row = conn.execute(select(model_shadow_runs).where(model_shadow_runs.c.id == run_id)).first()
    return None if row is None else _run(row)


def list_runs(engine: Engine, workload: str | None, limit: int = 100) -> list[ShadowRun]:
    """A workload's runs (every workload's when None), newest first."""
    query = select(model_shadow_runs).order_by(model_shadow_runs.c.started_at.desc()).limit(limit)
    if workload is not None:
        query = query.where(model_shadow_runs.c.workload == workload)
    with engine.connect() as conn:
        return [_run(row) for row in conn.execute(query)]


def active_runs(engine: Engine, now: float) -> dict[str, ShadowRun]:
    """{workload: its newest active run}: what the gateway shadows now."""
    c = model_shadow_runs.c
    query = (
        select(model_shadow_runs)
        .where(c.stopped_at.is_(None), or_(c.ends_at.is_(None), c.ends_at > now))
        .order_by(c.started_at)
    )
    with engine.connect() as conn:
        return {row.workload: _run(row) for row in conn.execute(query)}


def stop_runs(engine: Engine, workload: str, now: float, actor: str, run_id: str | None = None) -> list[str]:
    """Stop the workload's active runs (or that one); the ids stopped."""
    c = model_shadow_runs.c
    where = [c.workload == workload, c.stopped_at.is_(None)]
    if run_id is not None:
        where.append(c.id == run_id)
    with engine.begin() as conn:
        ids = [row.id for row in conn.execute(select(c.id).where(*where))]
        if ids:
            conn.execute(update(model_shadow_runs).where(c.id.in_(ids)).values(stopped_at=now, stopped_by=actor))
    return ids


def update_run_bounds(engine: Engine, run_id: str, sample: float, max_in_flight: int) -> None:
    """A configured run's sample rate and bound follow the file while the run is active."""
    c = model_shadow_runs.c
    with engine.begin() as conn:
        conn.execute(
            update(model_shadow_runs)
            .where(c.id == run_id, c.stopped_at.is_(None))
            .values(sample=sample, max_in_flight=max_in_flight)
        )


def add_dropped(engine: Engine, counts: Mapping[str, int]) -> None:
    """Add overflow drops counted in memory since the last refresh (one atomic increment per run)."""
    c = model_shadow_runs.c
    with engine.begin() as conn:
        for run_id, count in counts.items():
            conn.execute(update(model_shadow_runs).where(c.id == run_id).values(dropped=c.dropped + count))


def insert_results(engine: Engine, results: Sequence[ShadowResult]) -> None:
    """The batch writer's sink."""
    if not results:
        return
    with engine.begin() as conn:
        conn.execute(insert(model_shadow_results), [dataclasses.asdict(r) for r in results])


def count_results(engine: Engine, run_id: str) -> int:
    with engine.connect() as conn:
        count = conn.execute(
            select(func.count()).select_from(model_shadow_results).where(model_shadow_results.c.run_id == run_id)
        ).scalar_one()
    return int(count)


def read_results(engine: Engine, run_id: str, limit: int) -> list[ShadowResult]:
    """The run's newest `limit` results."""
    c = model_shadow_results.c
    query = select(model_shadow_results).where(c.run_id == run_id).order_by(c.ts.desc()).limit(limit)
    with engine.connect() as conn:
        return [ShadowResult(**{name: getattr(row, name) for name in RESULT_FIELDS}) for row in conn.execute(query)]
