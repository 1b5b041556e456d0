"""The prompt library's tables, and the reads and writes the service composes into transactions.

`prompts` names each prompt once per scope (a workload's name, or "" for shared: not NULL, because
a UNIQUE over NULL does not stop duplicates in PostgreSQL). `prompt_versions` is append-only:
a version's row is never updated, and (prompt, content hash) is unique, so the same content stored
twice is one version. `prompt_labels` holds where each label points now; `prompt_label_moves`
every move ever made (who, when, from, to, why, approvers); `prompt_reviews` every decision. The
moves and reviews repeat the prompt's name and scope, so the assessment and reports read them
without a join. Times are epoch seconds, as in the rest of the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
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

from rungway.prompts.model import LabelMove, PromptSummary, PromptVersion, Review, workload_of
from rungway.prompts.template import PromptContent
from rungway.store.schema import metadata

__all__ = [
    "CatalogChanges",
    "PromptRow",
    "find_prompt",
    "insert_move",
    "insert_prompt",
    "insert_review",
    "insert_version",
    "label_moves",
    "labels_of",
    "latest_version_number",
    "lock_name",
    "prompt_label_moves",
    "prompt_labels",
    "prompt_reviews",
    "prompt_versions",
    "prompts",
    "read_summaries",
    "read_version",
    "read_versions",
    "reviews_of",
    "scopes_named",
    "set_label",
    "touch_prompt",
    "version_by_hash",
    "versions_since",
]

prompts = Table(
    "prompts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("scope", String(64), nullable=False),  # the workload, or "" for a shared prompt
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False, index=True),
    UniqueConstraint("scope", "name", name="uq_prompts_scope_name"),
    Index("ix_prompts_name", "name"),
)

prompt_versions = Table(
    "prompt_versions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("prompt_id", String(40), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("content", Text, nullable=False),  # PromptContent.to_json(), as JSON
    Column("message", Text, nullable=False),
    Column("author", String(256), nullable=False),
    Column("author_key_id", String(40)),
    Column("created_at", Float, nullable=False, index=True),
    UniqueConstraint("prompt_id", "version", name="uq_prompt_versions_version"),
    UniqueConstraint("prompt_id", "content_hash", name="uq_prompt_versions_hash"),
)

prompt_labels = Table(
    "prompt_labels",
    metadata,
    Column("prompt_id", String(40), primary_key=True),
    Column("label", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", Float, nullable=False),
)

prompt_label_moves = Table(
    "prompt_label_moves",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("prompt_id", String(40), nullable=False),
    Column("name", String(128), nullable=False),
    Column("scope", String(64), nullable=False),
    Column("label", String(64), nullable=False),
    Column("from_version", Integer),
    Column("to_version", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", String(256), nullable=False),
    Column("actor_key_id", String(40)),
    Column("moved_at", Float, nullable=False),
    Column("protected", Boolean, nullable=False),
    Column("approvers", Text, nullable=False),  # JSON array of names
    Index("ix_prompt_label_moves_prompt", "prompt_id", "moved_at"),
    Index("ix_prompt_label_moves_scope", "scope", "moved_at"),
)

prompt_reviews = Table(
    "prompt_reviews",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("prompt_id", String(40), nullable=False),
    Column("name", String(128), nullable=False),
    Column("scope", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("decision", String(8), nullable=False),  # approve | reject
    Column("comment", Text, nullable=False),
    Column("reviewer", String(256), nullable=False),
    Column("reviewer_key_id", String(40)),
    Column("created_at", Float, nullable=False),
    Index("ix_prompt_reviews_version", "prompt_id", "version", "created_at"),
)


@dataclass(frozen=True, slots=True)
class PromptRow:
    """A prompt's identity row: its id, name and scope ("" for shared), and when it last changed."""

    id: str
    name: str
    scope: str
    updated_at: float

    @property
    def workload(self) -> str | None:
        return workload_of(self.scope)


def lock_name(conn: Connection, name: str) -> None:
    """Serialise writers of one prompt name until the transaction ends (PostgreSQL; SQLite has one writer)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": "rungway.prompt:" + name})


def find_prompt(conn: Connection, scope: str, name: str) -> PromptRow | None:
    c = prompts.c
    row = conn.execute(select(c.id, c.name, c.scope, c.updated_at).where(c.scope == scope, c.name == name)).first()
    return PromptRow(row.id, row.name, row.scope, row.updated_at) if row is not None else None


def scopes_named(conn: Connection, name: str) -> list[str]:
    """Every scope that has a prompt of this name ("" for shared)."""
    return [r[0] for r in conn.execute(select(prompts.c.scope).where(prompts.c.name == name))]


def insert_prompt(conn: Connection, prompt_id: str, scope: str, name: str, now: float) -> PromptRow:
    conn.execute(insert(prompts).values(id=prompt_id, name=name, scope=scope, created_at=now, updated_at=now))
    return PromptRow(prompt_id, name, scope, now)


def touch_prompt(conn: Connection, prompt_id: str, now: float) -> None:
    """Mark the prompt changed, so every server's catalog reloads it at its next refresh."""
    conn.execute(update(prompts).where(prompts.c.id == prompt_id).values(updated_at=now))


def latest_version_number(conn: Connection, prompt_id: str) -> int:
    c = prompt_versions.c
    return int(conn.execute(select(func.coalesce(func.max(c.version), 0)).where(c.prompt_id == prompt_id)).scalar_one())


def version_by_hash(conn: Connection, prompt: PromptRow, content_hash: str) -> PromptVersion | None:
    c = prompt_versions.c
    row = conn.execute(select(prompt_versions).where(c.prompt_id == prompt.id, c.content_hash == content_hash)).first()
    return _version(prompt, row, labels_of(conn, prompt.id)) if row is not None else None


def insert_version(
    conn: Connection,
    version_id: str,
    prompt: PromptRow,
    number: int,
    content: PromptContent,
    message: str,
    author: str,
    author_key_id: str | None,
    now: float,
) -> PromptVersion:
    content_hash = content.content_hash()
    conn.execute(
        insert(prompt_versions).values(
            id=version_id,
            prompt_id=prompt.id,
            version=number,
            content_hash=content_hash,
            content=orjson.dumps(content.to_json()).decode(),
            message=message,
            author=author,
            author_key_id=author_key_id,
            created_at=now,
        )
    )
    return PromptVersion(
        prompt.name, prompt.workload, number, content, content_hash, message, author, author_key_id, now, ()
    )


def labels_of(conn: Connection, prompt_id: str) -> dict[str, int]:
    c = prompt_labels.c
    rows = conn.execute(select(c.label, c.version).where(c.prompt_id == prompt_id).order_by(c.label))
    return {r.label: int(r.version) for r in rows}


def _labels_for(labels: dict[str, int], version: int) -> tuple[str, ...]:
    return tuple(label for label, at in labels.items() if at == version)


def _version(prompt: PromptRow, row: Any, labels: dict[str, int]) -> PromptVersion:
    m = row._mapping
    content = PromptContent.from_json(orjson.loads(m["content"]), where=f"{prompt.name}@{m['version']}")
    return PromptVersion(
        name=prompt.name,
        workload=prompt.workload,
        version=int(m["version"]),
        content=content,
        content_hash=m["content_hash"],
        message=m["message"],
        author=m["author"],
        author_key_id=m["author_key_id"],
        created_at=float(m["created_at"]),
        labels=_labels_for(labels, int(m["version"])),
    )


def read_version(conn: Connection, prompt: PromptRow, number: int | None) -> PromptVersion | None:
    """The version `number` of the prompt, or its newest when None."""
    c = prompt_versions.c
    q = select(prompt_versions).where(c.prompt_id == prompt.id)
    q = q.where(c.version == number) if number is not None else q.order_by(c.version.desc()).limit(1)
    row = conn.execute(q).first()
    return _version(prompt, row, labels_of(conn, prompt.id)) if row is not None else None


def read_versions(conn: Connection, prompt: PromptRow, limit: int, before: int | None = None) -> list[PromptVersion]:
    """Newest first; `before` pages back past that version number."""
    c = prompt_versions.c
    q = select(prompt_versions).where(c.prompt_id == prompt.id)
    if before is not None:
        q = q.where(c.version < before)
    labels = labels_of(conn, prompt.id)
    rows = conn.execute(q.order_by(c.version.desc()).limit(limit))
    return [_version(prompt, row, labels) for row in rows]


def set_label(conn: Connection, prompt_id: str, label: str, version: int, now: float, existed: bool) -> None:
    c = prompt_labels.c
    if existed:
        conn.execute(
            update(prompt_labels)
            .where(c.prompt_id == prompt_id, c.label == label)
            .values(version=version, updated_at=now)
        )
    else:
        conn.execute(insert(prompt_labels).values(prompt_id=prompt_id, label=label, version=version, updated_at=now))


def insert_move(conn: Connection, prompt: PromptRow, move: LabelMove) -> None:
    conn.execute(
        insert(prompt_label_moves).values(
            id=move.id,
            prompt_id=prompt.id,
            name=prompt.name,
            scope=prompt.scope,
            label=move.label,
            from_version=move.from_version,
            to_version=move.to_version,
            reason=move.reason,
            actor=move.actor,
            actor_key_id=move.actor_key_id,
            moved_at=move.moved_at,
            protected=move.protected,
            approvers=orjson.dumps(list(move.approvers)).decode(),
        )
    )


def _move(row: Any) -> LabelMove:
    m = row._mapping
    return LabelMove(
        id=m["id"],
        name=m["name"],
        workload=workload_of(m["scope"]),
        label=m["label"],
        from_version=m["from_version"],
        to_version=int(m["to_version"]),
        reason=m["reason"],
        actor=m["actor"],
        actor_key_id=m["actor_key_id"],
        moved_at=float(m["moved_at"]),
        protected=bool(m["protected"]),
        approvers=tuple(cast(list[str], orjson.loads(m["approvers"]))),
    )


def label_moves(conn: Connection, prompt_id: str, label: str | None = None, limit: int = 100) -> list[LabelMove]:
    """Newest first."""
    c = prompt_label_moves.c
    q = select(prompt_label_moves).where(c.prompt_id == prompt_id)
    if label is not None:
        q = q.where(c.label == label)
    rows = conn.execute(q.order_by(c.moved_at.desc(), c.id.desc()).limit(limit))
    return [_move(r) for r in rows]


def insert_review(conn: Connection, prompt: PromptRow, review: Review) -> None:
    conn.execute(
        insert(prompt_reviews).values(
            id=review.id,
            prompt_id=prompt.id,
            name=prompt.name,
            scope=prompt.scope,
            version=review.version,
            decision=review.decision,
            comment=review.comment,
            reviewer=review.reviewer,
            reviewer_key_id=review.reviewer_key_id,
            created_at=review.created_at,
        )
    )


def reviews_of(conn: Connection, prompt_id: str, version: int | None = None) -> list[Review]:
    """Oldest first (the order decisions were made in)."""
    c = prompt_reviews.c
    q = select(prompt_reviews).where(c.prompt_id == prompt_id)
    if version is not None:
        q = q.where(c.version == version)
    out = []
    for row in conn.execute(q.order_by(c.created_at, c.id)):
        m = row._mapping
        out.append(
            Review(
                id=m["id"],
                name=m["name"],
                workload=workload_of(m["scope"]),
                version=int(m["version"]),
                decision=m["decision"],
                comment=m["comment"],
                reviewer=m["reviewer"],
                reviewer_key_id=m["reviewer_key_id"],
                created_at=float(m["created_at"]),
            )
        )
    return out


def read_summaries(conn: Connection, scopes: Sequence[str] | None) -> list[PromptSummary]:
    """Every prompt in these scopes (None: all), by name then scope, with its newest version and labels."""
    p, v, lab = prompts.c, prompt_versions.c, prompt_labels.c
    newest = select(v.prompt_id, func.max(v.version).label("latest")).group_by(v.prompt_id).subquery()
    q = select(p.id, p.name, p.scope, p.updated_at, newest.c.latest).join(newest, newest.c.prompt_id == p.id)
    if scopes is not None:
        q = q.where(p.scope.in_(list(scopes)))
    rows = conn.execute(q.order_by(p.name, p.scope)).all()
    labels: dict[str, dict[str, int]] = {r.id: {} for r in rows}
    if rows:
        ids = list(labels)
        for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
            for r in conn.execute(select(lab.prompt_id, lab.label, lab.version).where(lab.prompt_id.in_(chunk))):
                labels[r.prompt_id][r.label] = int(r.version)
    return [
        PromptSummary(r.name, workload_of(r.scope), int(r.latest), dict(sorted(labels[r.id].items())), r.updated_at)
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class CatalogChanges:
    """What changed in the library since a time: the prompts touched, their new versions, their labels now."""

    prompts: list[PromptRow]
    versions: list[tuple[str, PromptVersion]]  # (prompt id, version without labels)
    labels: dict[str, dict[str, int]]  # prompt id -> {label: version}


def versions_since(engine: Engine, since: float) -> CatalogChanges:
    """For the catalog: prompts changed at or after `since`, their versions created since, and their labels."""
    p, v, lab = prompts.c, prompt_versions.c, prompt_labels.c
    with engine.connect() as conn:
        changed = [
            PromptRow(r.id, r.name, r.scope, r.updated_at)
            for r in conn.execute(select(p.id, p.name, p.scope, p.updated_at).where(p.updated_at >= since))
        ]
        ids = [r.id for r in changed]
        by_id = {r.id: r for r in changed}
        versions: list[tuple[str, PromptVersion]] = []
        labels: dict[str, dict[str, int]] = {i: {} for i in ids}
        for chunk in _chunks(ids):
            q = select(prompt_versions).where(v.prompt_id.in_(chunk), v.created_at >= since)
            versions.extend((row.prompt_id, _version(by_id[row.prompt_id], row, {})) for row in conn.execute(q))
            for r in conn.execute(select(lab.prompt_id, lab.label, lab.version).where(lab.prompt_id.in_(chunk))):
                labels[r.prompt_id][r.label] = int(r.version)
    return CatalogChanges(changed, versions, labels)


def _chunks(ids: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    return (ids[i : i + size] for i in range(0, len(ids), size))
