"""The scores table, the idempotent batch insert and the scoped read.

A score's key is (workload, id): a client that gives an id may retry a lost answer and the score is stored
once, and one workload's ids can neither collide with nor reveal another's. The insert skips ids already
stored (`ON CONFLICT DO NOTHING` on both SQLite and PostgreSQL) and says which were new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import Column, Connection, Engine, Float, Index, Integer, String, Table, Text, case, func, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from rungway.evals.scores.model import DataType, Score, ScoreSource
from rungway.store.schema import metadata

__all__ = [
    "ScoreHour",
    "ScoreMean",
    "ScoreQuery",
    "append_scores",
    "eval_scores",
    "hourly_score_means",
    "insert_scores",
    "online_score_counts",
    "read_scores",
    "score_means",
]

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


_FIELDS = tuple(f.name for f in fields(Score))
_values = attrgetter(*_FIELDS)
_append_sql: dict[str, str] = {}


def _append_statement(engine: Engine) -> str:
    """`INSERT INTO eval_scores (...) VALUES (?, ...) ON CONFLICT DO NOTHING` in the driver's parameter style."""
    dialect = engine.dialect
    sql = _append_sql.get(dialect.name)
    if sql is None:
        quote = dialect.identifier_preparer.quote
        mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}[dialect.paramstyle]
        table = dialect.identifier_preparer.format_table(eval_scores)
        columns = ", ".join(quote(c) for c in _FIELDS)
        marks = ", ".join([mark] * len(_FIELDS))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT (workload, id) DO NOTHING"
        _append_sql[dialect.name] = sql
    return sql


def append_scores(engine: Engine, scores: Sequence[Score]) -> None:
    """A batch writer's sink for scores made on the server (online scorers): one transaction, one executemany of
    plain tuples (a score already stored, replayed from a spill file, is skipped); no answer of which were new."""
    if scores:
        with engine.begin() as conn:
            conn.exec_driver_sql(_append_statement(engine), [_values(s) for s in scores])


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


@dataclass(frozen=True, slots=True)
class ScoreMean:
    """How many scores of one name a source gave a workload's traces in a window, and their mean value."""

    workload: str
    name: str
    source: str
    count: int
    mean: float | None


def score_means(engine: Engine, workloads: Sequence[str], since: float) -> list[ScoreMean]:
    """Per (workload, name, source): the count and mean value of the trace scores since `since` (online
    scores beside the application's feedback); categorical scores count, with no mean."""
    if not workloads:
        return []
    c = eval_scores.c
    query = (
        select(c.workload, c.name, c.source, func.count(), func.avg(c.value))
        .where(c.workload.in_(list(workloads)), c.created_at >= since, c.trace_id.is_not(None))
        .group_by(c.workload, c.name, c.source)
        .order_by(c.workload, c.name, c.source)
    )
    with engine.connect() as conn:
        return [
            ScoreMean(r[0], r[1], r[2], int(r[3]), None if r[4] is None else float(r[4])) for r in conn.execute(query)
        ]


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


@dataclass(frozen=True, slots=True)
class ScoreHour:
    """A numeric score's mean over one hour (`hour`: epoch seconds of its start) and how many scores it holds."""

    name: str
    hour: float
    mean: float
    count: int


def hourly_score_means(engine: Engine, workload: str, source: str, since: float, until: float) -> list[ScoreHour]:
    """Per score name and hour in [since, until) (`since` on an hour), the mean of the workload's numeric
    scores from `source` (e.g. "online"): one grouped range query over `ix_eval_scores_created`."""
    c = eval_scores.c
    offset = (c.created_at - since) / 3600.0
    slot = (
        sql_cast(func.floor(offset), Integer) if engine.dialect.name == "postgresql" else sql_cast(offset, Integer)
    ).label("slot")
    query = (
        select(c.name, slot, func.avg(c.value), func.count())
        .where(
            c.workload == workload,
            c.created_at >= since,
            c.created_at < until,
            c.source == source,
            c.value.is_not(None),
        )
        .group_by(c.name, slot)
    )
    with engine.connect() as conn:
        return [ScoreHour(str(n), since + int(s) * 3600.0, float(m), int(k)) for n, s, m, k in conn.execute(query)]
