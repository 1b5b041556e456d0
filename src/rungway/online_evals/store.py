"""The online scorers table and the hourly counts, with the few reads the runtime, API, pages and coverage need.

Counts are kept in memory by each replica and added here at each refresh (`add_counts`: an upsert that adds, on
SQLite and PostgreSQL alike), so a replica never writes per call; the row with scorer id `*` counts a workload's
calls once each (a call two scorers match is one matched call), the others count per scorer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields

import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Float,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from rungway.online_evals.model import CallFilter, OnlineScorer
from rungway.store.schema import metadata

__all__ = [
    "ALL_CALLS",
    "Counts",
    "add_counts",
    "delete_scorer",
    "insert_scorer",
    "list_scorers",
    "online_eval_counts",
    "online_eval_scorers",
    "read_counts",
    "sync_config_scorers",
]

ALL_CALLS = "*"

online_eval_scorers = Table(
    "online_eval_scorers",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workload", String(64), nullable=False),
    Column("name", String(64), nullable=False),
    Column("spec", Text, nullable=False),
    Column("sample", Float, nullable=False),
    Column("filter", Text, nullable=False),
    Column("source", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("created_by", String(256)),
    UniqueConstraint("workload", "name", name="uq_online_eval_scorers_name"),
)

online_eval_counts = Table(
    "online_eval_counts",
    metadata,
    Column("workload", String(64), primary_key=True),
    Column("scorer_id", String(40), primary_key=True),
    Column("hour", BigInteger, primary_key=True),
    Column("matched", BigInteger, nullable=False, server_default="0"),
    Column("sampled", BigInteger, nullable=False, server_default="0"),
    Column("scored", BigInteger, nullable=False, server_default="0"),
    Column("dropped", BigInteger, nullable=False, server_default="0"),
    Column("capped", BigInteger, nullable=False, server_default="0"),
    Column("errors", BigInteger, nullable=False, server_default="0"),
    Column("cost_nano", BigInteger, nullable=False, server_default="0"),
    Index("ix_online_eval_counts_hour", "workload", "hour"),
)


@dataclass(slots=True)
class Counts:
    """What happened to one scorer's (or a workload's) matching calls: added up in memory, then in the store."""

    matched: int = 0
    sampled: int = 0
    scored: int = 0
    dropped: int = 0  # the queue was full
    capped: int = 0  # the daily cost cap was reached: not judged
    errors: int = 0  # the scorer could not judge (a judge failed, timed out)
    cost_nano: int = 0  # judge and embedding spend

    def add(self, other: Counts) -> None:
        for f in fields(Counts):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(Counts))


_COUNT_FIELDS = tuple(f.name for f in fields(Counts))


def _scorer(row: object) -> OnlineScorer:
    m = row._mapping  # type: ignore[attr-defined]
    return OnlineScorer(
        id=m["id"],
        workload=m["workload"],
        name=m["name"],
        spec=orjson.loads(m["spec"]),
        sample=float(m["sample"]),
        filter=CallFilter.from_json(orjson.loads(m["filter"])),
        source=m["source"],
        created_at=float(m["created_at"]),
        created_by=m["created_by"],
    )


def _row(scorer: OnlineScorer) -> dict[str, object]:
    return {
        "id": scorer.id,
        "workload": scorer.workload,
        "name": scorer.name,
        "spec": orjson.dumps(dict(scorer.spec), option=orjson.OPT_SORT_KEYS).decode(),
        "sample": scorer.sample,
        "filter": orjson.dumps(scorer.filter.to_json(), option=orjson.OPT_SORT_KEYS).decode(),
        "source": scorer.source,
        "created_at": scorer.created_at,
        "created_by": scorer.created_by,
    }


def list_scorers(engine: Engine, workloads: Sequence[str] | None = None) -> list[OnlineScorer]:
    """The scorers of these workloads (None: every workload), by workload and name."""
    c = online_eval_scorers.c
    query = select(online_eval_scorers).order_by(c.workload, c.name)
    if workloads is not None:
        query = query.where(c.workload.in_(list(workloads)))
    with engine.connect() as conn:
        return [_scorer(r) for r in conn.execute(query)]


def insert_scorer(engine: Engine, scorer: OnlineScorer) -> bool:
    """Store a new scorer; False when the workload already has a scorer of that name."""
    c = online_eval_scorers.c
    with engine.begin() as conn:
        taken = conn.execute(select(c.id).where(c.workload == scorer.workload, c.name == scorer.name)).first()
        if taken is not None:
            return False
        conn.execute(insert(online_eval_scorers), [_row(scorer)])
    return True


def delete_scorer(engine: Engine, workload: str, name: str) -> OnlineScorer | None:
    """Remove the workload's scorer of that name added through the API; the removed one (None: no such scorer)."""
    c = online_eval_scorers.c
    with engine.begin() as conn:
        row = conn.execute(select(online_eval_scorers).where(c.workload == workload, c.name == name)).first()
        if row is None:
            return None
        conn.execute(delete(online_eval_scorers).where(c.id == row.id))
    return _scorer(row)


def sync_config_scorers(engine: Engine, configured: Iterable[OnlineScorer]) -> None:
    """Make the stored configured scorers exactly `configured` (ids are stable, so replicas agree);
    a configured name replaces an API scorer of the same name."""
    wanted = {s.id: s for s in configured}
    c = online_eval_scorers.c
    with engine.begin() as conn:
        stored = {
            r.id: (r.workload, r.name, r.source) for r in conn.execute(select(c.id, c.workload, c.name, c.source))
        }
        stale = [i for i, (_, _, source) in stored.items() if source == "config" and i not in wanted]
        names = {(s.workload, s.name) for i, s in wanted.items() if i not in stored}
        stale += [i for i, (w, n, source) in stored.items() if source != "config" and (w, n) in names]
        if stale:
            conn.execute(delete(online_eval_scorers).where(c.id.in_(stale)))
        fresh = [_row(s) for i, s in wanted.items() if i not in stored]
        if fresh:
            conn.execute(insert(online_eval_scorers), fresh)


def add_counts(engine: Engine, counts: Mapping[tuple[str, str, int], Counts]) -> None:
    """Add in-memory counts, keyed (workload, scorer id or `*`, epoch hour), to the stored ones."""
    if not counts:
        return
    rows = [
        {"workload": w, "scorer_id": s, "hour": h, **{f: getattr(n, f) for f in _COUNT_FIELDS}}
        for (w, s, h), n in counts.items()
    ]
    with engine.begin() as conn:
        make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        statement = make(online_eval_counts)
        table = online_eval_counts.c
        added = {f: table[f] + statement.excluded[f] for f in _COUNT_FIELDS}
        conn.execute(
            statement.on_conflict_do_update(index_elements=["workload", "scorer_id", "hour"], set_=added), rows
        )


def read_counts(engine: Engine, workloads: Sequence[str], since_hour: int) -> dict[tuple[str, str], Counts]:
    """{(workload, scorer id or `*`): counts summed over the hours from `since_hour`}."""
    if not workloads:
        return {}
    c = online_eval_counts.c
    sums = [func.coalesce(func.sum(c[f]), 0) for f in _COUNT_FIELDS]
    query = (
        select(c.workload, c.scorer_id, *sums)
        .where(c.workload.in_(list(workloads)), c.hour >= since_hour)
        .group_by(c.workload, c.scorer_id)
    )
    with engine.connect() as conn:
        return {(r[0], r[1]): Counts(*(int(v) for v in r[2:])) for r in conn.execute(query)}
