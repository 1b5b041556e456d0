"""The cache's tables: stored answers, semantic hit checks and semantic layer states, with the reads it needs.

Answers are written through a batch writer (never on the answer's path) and read back in the background: at
start (the live entries, newest first, up to the memory tier's size) and every refresh (what any replica stored
since the last one), so the lookups themselves never touch the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, fields
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from rungway.caching.model import CacheEntry, HitCheck, SemanticState
from rungway.store.schema import metadata

__all__ = [
    "append_checks",
    "append_entries",
    "cache_entries",
    "cache_hit_checks",
    "cache_semantic_states",
    "delete_namespace",
    "entries_stored_since",
    "entry_counts",
    "hit_checks",
    "live_entries",
    "load_semantic_states",
    "precision",
    "purge_expired",
    "save_semantic_state",
]

cache_entries = Table(
    "cache_entries",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("namespace", String(64), nullable=False),
    Column("key", String(64), nullable=False),
    Column("model", String(128), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("answer", LargeBinary, nullable=False),
    Column("tokens_in", BigInteger, nullable=False),
    Column("tokens_out", BigInteger, nullable=False),
    Column("tokens_cached", BigInteger, nullable=False),
    Column("cost_nano", BigInteger, nullable=False),
    Column("strict_hash", String(32), nullable=False),
    Column("prompt_chars", Integer, nullable=False),
    Column("embedding_model", String(128)),
    Column("vector", LargeBinary),
    Column("request_id", String(40)),
    Column("stored_at", Float, nullable=False),
    Index("ix_cache_entries_key", "namespace", "key"),
    Index("ix_cache_entries_stored", "stored_at"),
    Index("ix_cache_entries_expires", "expires_at"),
)

cache_hit_checks = Table(
    "cache_hit_checks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("ts", Float, nullable=False),
    Column("workload", String(64), nullable=False),
    Column("request_id", String(40), nullable=False),
    Column("entry_id", BigInteger, nullable=False),
    Column("similarity", Float, nullable=False),
    Column("score", Float, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("cost_nano", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Index("ix_cache_hit_checks_workload_ts", "workload", "ts"),
)

cache_semantic_states = Table(
    "cache_semantic_states",
    metadata,
    Column("workload", String(64), primary_key=True),
    Column("threshold", Float),
    Column("paused", Boolean, nullable=False),
    Column("changed_at", Float, nullable=False),
    Column("reason", Text, nullable=False),
)

_ENTRY_FIELDS = tuple(f.name for f in fields(CacheEntry))


def _entry(row: Sequence[Any]) -> CacheEntry:
    values: dict[str, Any] = dict(zip(_ENTRY_FIELDS, row, strict=True))
    values["answer"] = bytes(values["answer"])
    if values["vector"] is not None:
        values["vector"] = bytes(values["vector"])
    return CacheEntry(**values)


def append_entries(engine: Engine, entries: Sequence[CacheEntry], stored_at: float) -> None:
    """The writer's sink: one transaction; an entry replayed from a spill file is stored once."""
    if not entries:
        return
    rows = [{**dict(zip(_ENTRY_FIELDS, astuple(e), strict=True)), "stored_at": stored_at} for e in entries]
    make = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    with engine.begin() as conn:
        conn.execute(make(cache_entries).values(rows).on_conflict_do_nothing(index_elements=["id"]))


def _columns() -> list[Column[object]]:
    return [cache_entries.c[name] for name in _ENTRY_FIELDS]


def live_entries(engine: Engine, now: float, limit: int) -> list[CacheEntry]:
    """The newest unexpired entries, newest first (what the memory tier starts with)."""
    query = (
        select(*_columns())
        .where(cache_entries.c.expires_at > now)
        .order_by(cache_entries.c.created_at.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [_entry(row) for row in conn.execute(query)]


def entries_stored_since(engine: Engine, since: float, now: float, limit: int) -> tuple[list[CacheEntry], float]:
    """Unexpired entries any replica stored at or after `since`, oldest first, and the newest `stored_at` read
    (the next refresh's `since`; rows stored in the same instant are read again and ignored as known)."""
    query = (
        select(*_columns(), cache_entries.c.stored_at)
        .where(cache_entries.c.stored_at >= since, cache_entries.c.expires_at > now)
        .order_by(cache_entries.c.stored_at)
        .limit(limit)
    )
    newest = since
    found: list[CacheEntry] = []
    with engine.connect() as conn:
        for row in conn.execute(query):
            found.append(_entry(tuple(row)[:-1]))
            newest = max(newest, float(row[-1]))  # type: ignore[arg-type]
    return found, newest


def purge_expired(engine: Engine, now: float, batch: int = 5_000) -> int:
    """Delete up to `batch` expired entries; the number deleted."""
    with engine.begin() as conn:
        ids = [
            r[0] for r in conn.execute(select(cache_entries.c.id).where(cache_entries.c.expires_at <= now).limit(batch))
        ]
        if ids:
            conn.execute(delete(cache_entries).where(cache_entries.c.id.in_(ids)))
    return len(ids)


def delete_namespace(engine: Engine, namespace: str) -> int:
    """Forget every stored answer of one workload (`rungway cache clear`); the number deleted."""
    with engine.begin() as conn:
        return conn.execute(delete(cache_entries).where(cache_entries.c.namespace == namespace)).rowcount or 0


def entry_counts(engine: Engine, now: float) -> dict[str, tuple[int, int, int]]:
    """{workload: (live entries, of which with an embedding, answer bytes)}."""
    c = cache_entries.c
    query = (
        select(c.namespace, func.count(), func.count(c.vector), func.coalesce(func.sum(func.length(c.answer)), 0))
        .where(c.expires_at > now)
        .group_by(c.namespace)
    )
    with engine.connect() as conn:
        return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in conn.execute(query)}


def append_checks(engine: Engine, checks: Sequence[HitCheck]) -> None:
    if not checks:
        return
    with engine.begin() as conn:
        conn.execute(
            insert(cache_hit_checks),
            [dict(zip([f.name for f in fields(HitCheck)], astuple(h), strict=True)) for h in checks],
        )


def hit_checks(engine: Engine, workload: str, since: float, limit: int = 100) -> list[HitCheck]:
    """A workload's semantic hit checks since `since`, newest first."""
    t = cache_hit_checks.c
    query = select(cache_hit_checks).where(t.workload == workload, t.ts >= since).order_by(t.ts.desc()).limit(limit)
    with engine.connect() as conn:
        return [HitCheck(*row) for row in conn.execute(query)]


def precision(engine: Engine, workloads: Sequence[str], since: float) -> dict[str, tuple[int, int]]:
    """{workload: (semantic hits checked, of which passed)} since `since`."""
    t = cache_hit_checks.c
    passed = func.sum(func.cast(t.passed, Integer))
    query = (
        select(t.workload, func.count(), passed)
        .where(t.workload.in_(list(workloads)), t.ts >= since)
        .group_by(t.workload)
    )
    with engine.connect() as conn:
        return {row[0]: (int(row[1]), int(row[2] or 0)) for row in conn.execute(query)}


def save_semantic_state(engine: Engine, state: SemanticState) -> None:
    values = {
        "threshold": state.threshold,
        "paused": state.paused,
        "changed_at": state.changed_at,
        "reason": state.reason,
    }
    make = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    statement = make(cache_semantic_states).values(workload=state.workload, **values)
    with engine.begin() as conn:
        conn.execute(statement.on_conflict_do_update(index_elements=["workload"], set_=values))


def load_semantic_states(engine: Engine) -> dict[str, SemanticState]:
    with engine.connect() as conn:
        return {row[0]: SemanticState(*row) for row in conn.execute(select(cache_semantic_states))}
