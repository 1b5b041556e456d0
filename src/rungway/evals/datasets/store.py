"""The datasets' tables, and the reads and writes the service composes into transactions.

`eval_datasets` names each dataset once per scope (a workload's name, or "" for shared).
`eval_dataset_versions` is append-only, and (dataset, content hash) is unique, so the same content stored
twice is one version; `eval_cases` holds each version's cases in order (a case's specs and inputs as JSON
text), keyed by (version, position) with a unique (version, key). Times are epoch seconds.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Connection,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
    text,
    update,
)

from rungway.evals.datasets.model import Case, DatasetSummary, DatasetVersion, workload_of
from rungway.evals.scorers import JsonValue
from rungway.store.schema import metadata

__all__ = [
    "DatasetRow",
    "eval_cases",
    "eval_dataset_versions",
    "eval_datasets",
    "find_dataset",
    "insert_dataset",
    "insert_version",
    "iter_cases",
    "latest_version_number",
    "lock_name",
    "read_cases",
    "read_summaries",
    "read_version",
    "read_versions",
    "scopes_named",
    "touch_dataset",
    "version_by_hash",
]

eval_datasets = Table(
    "eval_datasets",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("scope", String(64), nullable=False),  # the workload, or "" for a shared dataset
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("scope", "name", name="uq_eval_datasets_scope_name"),
    Index("ix_eval_datasets_name", "name"),
)

eval_dataset_versions = Table(
    "eval_dataset_versions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("dataset_id", String(40), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("case_count", Integer, nullable=False),
    Column("default_assertions", Text, nullable=False),  # JSON list of assertion specs
    Column("description", Text, nullable=False),
    Column("source", Text, nullable=False),  # where it came from: a file name, "api", "traces"
    Column("author", String(256), nullable=False),
    Column("author_key_id", String(40)),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("dataset_id", "version", name="uq_eval_dataset_versions_version"),
    UniqueConstraint("dataset_id", "content_hash", name="uq_eval_dataset_versions_hash"),
    Index("ix_eval_dataset_versions_created_at", "created_at"),
)

eval_cases = Table(
    "eval_cases",
    metadata,
    Column("version_id", String(40), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("case_key", String(200), nullable=False),
    Column("vars", Text, nullable=False),  # JSON object
    Column("messages", Text),  # JSON list, or NULL
    Column("expected", Text),
    Column("assertions", Text, nullable=False),  # JSON list of specs
    Column("metadata", Text, nullable=False),  # JSON object of strings
    Column("tags", Text, nullable=False),  # JSON list
    Column("source_trace_id", String(32)),
    UniqueConstraint("version_id", "case_key", name="uq_eval_cases_key"),
    Index("ix_eval_cases_trace", "source_trace_id"),
)

_INSERT_CHUNK = 1_000


@dataclass(frozen=True, slots=True)
class DatasetRow:
    """A dataset's identity row: id, name and scope ("" for shared)."""

    id: str
    name: str
    scope: str


def lock_name(conn: Connection, name: str) -> None:
    """Serialise writers of one dataset name until the transaction ends (PostgreSQL; SQLite has one writer)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": "rungway.dataset:" + name})


def find_dataset(conn: Connection, scope: str, name: str) -> DatasetRow | None:
    c = eval_datasets.c
    row = conn.execute(select(c.id, c.name, c.scope).where(c.scope == scope, c.name == name)).first()
    return DatasetRow(row.id, row.name, row.scope) if row is not None else None


def scopes_named(conn: Connection, name: str) -> list[str]:
    """Every scope that has a dataset of this name ("" for shared)."""
    return [r[0] for r in conn.execute(select(eval_datasets.c.scope).where(eval_datasets.c.name == name))]


def insert_dataset(conn: Connection, dataset_id: str, scope: str, name: str, now: float) -> DatasetRow:
    conn.execute(insert(eval_datasets).values(id=dataset_id, name=name, scope=scope, created_at=now, updated_at=now))
    return DatasetRow(dataset_id, name, scope)


def touch_dataset(conn: Connection, dataset_id: str, now: float) -> None:
    conn.execute(update(eval_datasets).where(eval_datasets.c.id == dataset_id).values(updated_at=now))


def latest_version_number(conn: Connection, dataset_id: str) -> int:
    v = eval_dataset_versions.c
    return int(conn.execute(select(func.max(v.version)).where(v.dataset_id == dataset_id)).scalar() or 0)


def _version(dataset: DatasetRow, row: Any) -> DatasetVersion:
    return DatasetVersion(
        id=row.id,
        name=dataset.name,
        workload=workload_of(dataset.scope),
        version=row.version,
        content_hash=row.content_hash,
        case_count=row.case_count,
        default_assertions=tuple(orjson.loads(row.default_assertions)),
        description=row.description,
        source=row.source,
        author=row.author,
        created_at=row.created_at,
    )


def version_by_hash(conn: Connection, dataset: DatasetRow, digest: str) -> DatasetVersion | None:
    v = eval_dataset_versions.c
    query = select(eval_dataset_versions).where(v.dataset_id == dataset.id, v.content_hash == digest)
    row = conn.execute(query).first()
    return _version(dataset, row) if row is not None else None


def read_version(conn: Connection, dataset: DatasetRow, number: int | None) -> DatasetVersion | None:
    """The numbered version, or the newest when `number` is None."""
    v = eval_dataset_versions.c
    query = select(eval_dataset_versions).where(v.dataset_id == dataset.id)
    query = query.where(v.version == number) if number is not None else query.order_by(v.version.desc()).limit(1)
    row = conn.execute(query).first()
    return _version(dataset, row) if row is not None else None


def read_versions(conn: Connection, dataset: DatasetRow, limit: int) -> list[DatasetVersion]:
    v = eval_dataset_versions.c
    query = select(eval_dataset_versions).where(v.dataset_id == dataset.id).order_by(v.version.desc()).limit(limit)
    return [_version(dataset, row) for row in conn.execute(query)]


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def insert_version(conn: Connection, dataset: DatasetRow, version: DatasetVersion, cases: Sequence[Case],
                   author_key_id: str | None) -> None:  # fmt: skip
    """The version row, then its cases in chunks of executemany (a 50,000-case import is 50 statements)."""
    conn.execute(
        insert(eval_dataset_versions).values(
            id=version.id,
            dataset_id=dataset.id,
            version=version.version,
            content_hash=version.content_hash,
            case_count=len(cases),
            default_assertions=_dumps([dict(a) for a in version.default_assertions]),
            description=version.description,
            source=version.source,
            author=version.author,
            author_key_id=author_key_id,
            created_at=version.created_at,
        )
    )
    for start in range(0, len(cases), _INSERT_CHUNK):
        rows = [
            {
                "version_id": version.id,
                "position": start + offset,
                "case_key": case.key,
                "vars": _dumps(dict(case.vars)),
                "messages": None if case.messages is None else _dumps([dict(m) for m in case.messages]),
                "expected": case.expected,
                "assertions": _dumps([dict(a) for a in case.assertions]),
                "metadata": _dumps(dict(case.metadata)),
                "tags": _dumps(list(case.tags)),
                "source_trace_id": case.source_trace_id,
            }
            for offset, case in enumerate(cases[start : start + _INSERT_CHUNK])
        ]
        conn.execute(insert(eval_cases), rows)


def _case(row: Any) -> Case:
    messages: list[dict[str, JsonValue]] | None = None if row.messages is None else orjson.loads(row.messages)
    return Case(
        key=row.case_key,
        vars=orjson.loads(row.vars),
        messages=None if messages is None else tuple(messages),
        expected=row.expected,
        assertions=tuple(orjson.loads(row.assertions)),
        metadata=orjson.loads(row.metadata),
        tags=tuple(orjson.loads(row.tags)),
        source_trace_id=row.source_trace_id,
    )


def read_cases(conn: Connection, version_id: str, offset: int, limit: int) -> list[Case]:
    """A page of a version's cases, in their order."""
    c = eval_cases.c
    query = select(eval_cases).where(c.version_id == version_id, c.position >= offset)
    return [_case(row) for row in conn.execute(query.order_by(c.position).limit(limit))]


def iter_cases(conn: Connection, version_id: str, page: int = 1_000) -> Iterator[Case]:
    """Every case of a version, read a page at a time (export streams them)."""
    offset = 0
    while True:
        found = read_cases(conn, version_id, offset, page)
        yield from found
        if len(found) < page:
            return
        offset += page


def read_summaries(conn: Connection, scopes: Sequence[str] | None) -> list[DatasetSummary]:
    """Every dataset in these scopes (None: all) with its newest version, by name."""
    d, v = eval_datasets.c, eval_dataset_versions.c
    newest = select(v.dataset_id, func.max(v.version).label("latest")).group_by(v.dataset_id).subquery("newest")
    query = (
        select(d.name, d.scope, d.updated_at, newest.c.latest, v.case_count)
        .join(newest, newest.c.dataset_id == d.id)
        .join(eval_dataset_versions, (v.dataset_id == d.id) & (v.version == newest.c.latest))
        .order_by(d.name, d.scope)
    )
    if scopes is not None:
        query = query.where(d.scope.in_(list(scopes)))
    return [DatasetSummary(r.name, workload_of(r.scope), r.latest, r.case_count, r.updated_at)
            for r in conn.execute(query)]  # fmt: skip
