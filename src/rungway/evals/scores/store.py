"""The scores table, the idempotent batch insert and the scoped read.

A score's key is (workload, id): a client that gives an id may retry a lost answer and the score is stored
once, and one workload's ids can neither collide with nor reveal another's. The insert skips ids already
stored (`ON CONFLICT DO NOTHING` on both SQLite and PostgreSQL) and says which were new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

from sqlalchemy import Column, Connection, Engine, Float, Index, String, Table, Text, case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from rungway.evals.scores.model import DataType, Score, ScoreSource
from rungway.store.schema import metadata

__all__ = ["ScoreQuery", "eval_scores", "insert_scores", "online_score_counts", "read_scores"]

eval_scores = Table(
    "eval_scores",
    metadata,
    Column("workload", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("trace_id", String(32)),
    Column("span_id", String(16)),
    Column("run_id", String(64)),
    Column("case_key", String(200)),
    Column("name", String(128), nullable=False),
    Column("data_type", String(16), nullable=False),
    Column("value", Float),
    Column("string_value", String(256)),
    Column("comment", Text),
    Column("source", String(16), nullable=False),
    Column("scorer", String(200)),
    Column("scorer_version", String(64)),
    Column("author", String(256), nullable=False),
    Column("author_key_id", String(40)),
    Column("created_at", Float, nullable=False),
    Index("ix_eval_scores_trace", "workload", "trace_id"),
    Index("ix_eval_scores_created", "workload", "created_at"),
    Index("ix_eval_scores_run", "run_id", "case_key"),
)


def insert_scores(engine: Engine, scores: Sequence[Score]) -> set[tuple[str, str]]:
    """Store the scores whose (workload, id) is new; returns the (workload, id) pairs that were already stored."""
    if not scores:
        return set()
    with engine.begin() as conn:
        before = _existing(conn, scores)
        rows = [asdict(s) for s in scores if (s.workload, s.id) not in before]
        if rows:
            make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            conn.execute(make(eval_scores).on_conflict_do_nothing(index_elements=["workload", "id"]), rows)
    return before


def _existing(conn: Connection, scores: Sequence[Score]) -> set[tuple[str, str]]:
    c = eval_scores.c
    found: set[tuple[str, str]] = set()
    for workload in {s.workload for s in scores}:
        ids = [s.id for s in scores if s.workload == workload]
        query = select(c.workload, c.id).where(c.workload == workload, c.id.in_(ids))
        found |= {(r.workload, r.id) for r in conn.execute(query)}
    return found


@dataclass(frozen=True, slots=True)
class ScoreQuery:
    """Filters of `GET /api/scores`; `workload` None reads every workload (admins only)."""

    workload: str | None
    trace_id: str | None = None
    run_id: str | None = None
    name: str | None = None
    source: str | None = None
    since: float | None = None
    limit: int = 100


def _score(row: Any) -> Score:
    values = dict(row._mapping)
    values["data_type"] = cast(DataType, values["data_type"])
    values["source"] = cast(ScoreSource, values["source"])
    return Score(**values)


def read_scores(engine: Engine, query: ScoreQuery) -> list[Score]:
    """Newest first, at most `limit`."""
    c = eval_scores.c
    found = select(eval_scores)
    for column, value in ((c.workload, query.workload), (c.trace_id, query.trace_id), (c.run_id, query.run_id),
                          (c.name, query.name), (c.source, query.source)):  # fmt: skip
        if value is not None:
            found = found.where(column == value)
    if query.since is not None:
        found = found.where(c.created_at >= query.since)
    with engine.connect() as conn:
        return [_score(r) for r in conn.execute(found.order_by(c.created_at.desc(), c.id).limit(query.limit))]


def online_score_counts(
    engine: Engine, workload: str, since: float, until: float, *, name: str | None = None, passing_at: float = 0.5
) -> tuple[int, int]:
    """(passing, all) online scores of the workload created in [since, until), of `name` when given: a boolean
    or numeric score passes when its value is at least `passing_at`; a categorical one never counts."""
    c = eval_scores.c
    query = select(
        func.coalesce(func.sum(case((c.value >= passing_at, 1), else_=0)), 0), func.count()
    ).where(c.workload == workload, c.created_at >= since, c.created_at < until, c.source == "online",
            c.value.is_not(None))  # fmt: skip
    if name is not None:
        query = query.where(c.name == name)
    with engine.connect() as conn:
        passing, total = conn.execute(query).one()
    return int(passing), int(total)
