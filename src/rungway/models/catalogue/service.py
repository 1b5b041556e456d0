"""The catalogue's use cases, shared by the API, the CLI (through the API) and the dashboard.

`record_change` checks an approval or status change against the catalogue the server serves (the
model exists, a successor exists, dates in order, evidence named by kind and id together) and
appends it to `model_approvals`; the caller then refreshes the view so this server serves it at
once (others within `catalogue.refresh`). `describe` is an entry as JSON with its approval and
history, trimmed for a caller who is not an admin (no actors' key ids, no evidence ids: those name
other workloads' runs).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine

from rungway.domain.ids import new_id
from rungway.errors import InvalidRequest, NotFound
from rungway.models.catalogue.entry import CatalogueEntry, ModelStatus, entry_dict
from rungway.models.catalogue.store import (
    EVIDENCE_KINDS,
    Action,
    StatusChange,
    history,
    insert_change,
)
from rungway.models.catalogue.view import CatalogueView

__all__ = ["ChangeRequest", "change_dict", "describe", "entry_history", "record_change"]

MAX_COMMENT_CHARS = 2000
MAX_EVIDENCE_ID = 128


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    """What someone asks: an action on a model, why, with which evidence, and for `deprecate` the dates."""

    model: str
    action: Action
    actor: str
    actor_key_id: str | None = None
    comment: str = ""
    evidence_kind: str | None = None
    evidence_id: str | None = None
    deprecated_on: date | None = None
    sunset_on: date | None = None
    successor: str | None = None


def _status_after(req: ChangeRequest, base: CatalogueEntry | None) -> ModelStatus:
    if req.action == "approve":
        return ModelStatus.APPROVED
    if req.action == "deprecate":
        return ModelStatus.DEPRECATED
    if req.action == "block":
        return ModelStatus.BLOCKED
    # unblock: back to what the configuration says, unless that is blocked too
    if base is not None and base.status is not ModelStatus.BLOCKED:
        return base.status
    return ModelStatus.APPROVED


def _check(view: CatalogueView, req: ChangeRequest) -> CatalogueEntry:
    entry = view.entry(req.model)
    if entry is None:
        raise NotFound(
            f"no model {req.model[:128]!r} in the catalogue; add it under `catalogue.entries` in rungway.yaml",
            param="name",
        )
    if req.successor is not None and view.entry(req.successor) is None:
        raise InvalidRequest(f"the successor {req.successor[:128]!r} is not in the catalogue", param="successor")
    if req.successor == req.model:
        raise InvalidRequest("a model cannot succeed itself", param="successor")
    if (req.evidence_kind is None) != (req.evidence_id is None):
        raise InvalidRequest("evidence needs both `kind` and `id`", param="evidence")
    if req.evidence_kind is not None and req.evidence_kind not in EVIDENCE_KINDS:
        raise InvalidRequest(f"evidence kind must be one of {', '.join(EVIDENCE_KINDS)}", param="evidence")
    deprecated = req.deprecated_on or entry.deprecated_on
    sunset = req.sunset_on or entry.sunset_on
    if req.action == "deprecate" and deprecated and sunset and sunset < deprecated:
        raise InvalidRequest("the sunset is before the deprecation", param="sunset")
    if req.action != "deprecate" and (req.deprecated_on or req.sunset_on):
        raise InvalidRequest("dates go with `deprecate` only", param="sunset")
    return entry


def record_change(engine: Engine, view: CatalogueView, req: ChangeRequest, now: float | None = None) -> StatusChange:
    """Check the change and append it to the model's history."""
    at = time.time() if now is None else now
    _check(view, req)
    base = view.config.entries.get(req.model)
    deprecated_on = req.deprecated_on
    if req.action == "deprecate" and deprecated_on is None:
        deprecated_on = datetime.fromtimestamp(at, UTC).date()
    change = StatusChange(
        id=new_id("mch_"),
        model=req.model,
        action=req.action,
        status=_status_after(req, base),
        actor=req.actor,
        at=at,
        comment=req.comment,
        actor_key_id=req.actor_key_id,
        evidence_kind=req.evidence_kind,
        evidence_id=req.evidence_id,
        deprecated_on=deprecated_on,
        sunset_on=req.sunset_on,
        successor=req.successor,
    )
    insert_change(engine, change)
    return change


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def change_dict(change: StatusChange, admin: bool) -> dict[str, Any]:
    """A recorded change as JSON; evidence ids and key ids only for admins."""
    evidence = None
    if change.evidence_kind is not None:
        evidence = {"kind": change.evidence_kind, "id": change.evidence_id if admin else None}
    return {
        "id": change.id,
        "model": change.model,
        "action": change.action,
        "status": change.status.value,
        "actor": change.actor,
        "actor_key_id": change.actor_key_id if admin else None,
        "at": _iso(change.at),
        "evidence": evidence,
        "comment": change.comment,
        "deprecated": change.deprecated_on.isoformat() if change.deprecated_on else None,
        "sunset": change.sunset_on.isoformat() if change.sunset_on else None,
        "successor": change.successor,
    }


def describe(view: CatalogueView, entry: CatalogueEntry, admin: bool) -> dict[str, Any]:
    """An entry as JSON with its latest approval."""
    approval = view.approval(entry.name)
    return {**entry_dict(entry), "approval": change_dict(approval, admin) if approval is not None else None}


def entry_history(engine: Engine, model: str, admin: bool, limit: int = 50) -> list[dict[str, Any]]:
    """A model's recorded changes, newest first (blocking)."""
    return [change_dict(c, admin) for c in history(engine, model, limit)]
