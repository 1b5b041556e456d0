"""The catalogue's one table: `model_approvals`, every approval and status change ever recorded.

Append-only: a change is never updated or deleted, so the history of a model (who approved it,
when, with which evaluation or red-team run, who deprecated or blocked it and why) is the table
itself. The latest row per model is what the gateway serves (`latest_changes`, read by the view's
background refresh). Dates are ISO strings, times epoch seconds as in the rest of the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import Column, Engine, Float, Index, String, Table, Text, func, insert, select

from rungway.models.catalogue.entry import ModelStatus
from rungway.store.schema import metadata

__all__ = [
    "ACTIONS",
    "EVIDENCE_KINDS",
    "Action",
    "StatusChange",
    "history",
    "insert_change",
    "latest_approvals",
    "latest_changes",
    "model_approvals",
    "recent_changes",
]

Action = Literal["approve", "deprecate", "block", "unblock"]
ACTIONS: tuple[Action, ...] = ("approve", "deprecate", "block", "unblock")
EVIDENCE_KINDS = ("eval_run", "redteam_run", "note")

model_approvals = Table(
    "model_approvals",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("model", String(128), nullable=False),
    Column("action", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # the model's status after this change
    Column("actor", String(256), nullable=False),
    Column("actor_key_id", String(40)),
    Column("at", Float, nullable=False),
    Column("evidence_kind", String(16)),  # eval_run | redteam_run | note
    Column("evidence_id", String(128)),
    Column("comment", Text, nullable=False),
    Column("deprecated_on", String(10)),
    Column("sunset_on", String(10)),
    Column("successor", String(128)),
    Index("ix_model_approvals_model", "model", "at"),
    Index("ix_model_approvals_at", "at"),
)


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One recorded approval or status change of a catalogue model."""

    id: str
    model: str
    action: Action
    status: ModelStatus
    actor: str
    at: float
    comment: str = ""
    actor_key_id: str | None = None
    evidence_kind: str | None = None
    evidence_id: str | None = None
    deprecated_on: date | None = None
    sunset_on: date | None = None
    successor: str | None = None


def _row(change: StatusChange) -> dict[str, Any]:
    return {
        "id": change.id,
        "model": change.model,
        "action": change.action,
        "status": change.status.value,
        "actor": change.actor,
        "actor_key_id": change.actor_key_id,
        "at": change.at,
        "evidence_kind": change.evidence_kind,
        "evidence_id": change.evidence_id,
        "comment": change.comment,
        "deprecated_on": change.deprecated_on.isoformat() if change.deprecated_on else None,
        "sunset_on": change.sunset_on.isoformat() if change.sunset_on else None,
        "successor": change.successor,
    }


def _change(row: Any) -> StatusChange:
    return StatusChange(
        id=row.id,
        model=row.model,
        action=row.action,
        status=ModelStatus(row.status),
        actor=row.actor,
        at=row.at,
        comment=row.comment,
        actor_key_id=row.actor_key_id,
        evidence_kind=row.evidence_kind,
        evidence_id=row.evidence_id,
        deprecated_on=date.fromisoformat(row.deprecated_on) if row.deprecated_on else None,
        sunset_on=date.fromisoformat(row.sunset_on) if row.sunset_on else None,
        successor=row.successor,
    )


def insert_change(engine: Engine, change: StatusChange) -> None:
    with engine.begin() as conn:
        conn.execute(insert(model_approvals).values(**_row(change)))


def latest_changes(engine: Engine) -> dict[str, StatusChange]:
    """The latest change of each model that has one (what the view applies over the configuration)."""
    newest = (
        select(model_approvals.c.model, func.max(model_approvals.c.at).label("at"))
        .group_by(model_approvals.c.model)
        .subquery()
    )
    query = (
        select(model_approvals)
        .join(newest, (newest.c.model == model_approvals.c.model) & (newest.c.at == model_approvals.c.at))
        .order_by(model_approvals.c.at, model_approvals.c.id)
    )
    with engine.connect() as conn:
        return {row.model: _change(row) for row in conn.execute(query)}


def latest_approvals(engine: Engine) -> dict[str, StatusChange]:
    """The latest `approve` of each model (who approved it, when, with which evidence)."""
    query = select(model_approvals).where(model_approvals.c.action == "approve").order_by(model_approvals.c.at)
    with engine.connect() as conn:
        return {row.model: _change(row) for row in conn.execute(query)}


def history(engine: Engine, model: str, limit: int = 100) -> list[StatusChange]:
    """A model's changes, newest first."""
    query = (
        select(model_approvals)
        .where(model_approvals.c.model == model)
        .order_by(model_approvals.c.at.desc(), model_approvals.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [_change(row) for row in conn.execute(query)]


def recent_changes(engine: Engine, limit: int = 100) -> Sequence[StatusChange]:
    """The newest changes across models, newest first."""
    query = select(model_approvals).order_by(model_approvals.c.at.desc(), model_approvals.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [_change(row) for row in conn.execute(query)]
