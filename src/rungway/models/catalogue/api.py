"""`/api/models/catalogue`: the catalogue as this server serves it, and the admin's approvals and status changes.

Any key reads the catalogue (it is the organisation's policy, the same for every workload); the
history's evidence ids and key ids are shown to admins only (an evaluation run id belongs to one
workload). Approving, deprecating, blocking and unblocking need an admin key; each is recorded
with who, when, why and the evidence, and this server serves it at once (others within
`catalogue.refresh`).
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from aiohttp import web

from rungway.api.auth import Caller, caller_of
from rungway.api.bodies import json_object, nullable, text
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.models.catalogue.entry import CAPABILITIES, ModelStatus
from rungway.models.catalogue.service import (
    MAX_COMMENT_CHARS,
    MAX_EVIDENCE_ID,
    ChangeRequest,
    change_dict,
    describe,
    entry_history,
    record_change,
)
from rungway.models.catalogue.store import ACTIONS, EVIDENCE_KINDS, Action
from rungway.models.catalogue.view import CATALOGUE, CatalogueView
from rungway.store.keys import key_by_id

__all__ = ["router"]

router = ApiRouter("models")

_DATE = nullable({"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})
_NAME = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[^\\s\\x00-\\x1f]+$"}
CHANGE_BODY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "comment": text(MAX_COMMENT_CHARS, "why", multiline=True),
        "evidence": nullable(
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["kind", "id"],
                "properties": {
                    "kind": {"type": "string", "enum": list(EVIDENCE_KINDS)},
                    "id": text(MAX_EVIDENCE_ID, "the eval run, red-team run or note id", min_length=1),
                },
            }
        ),
        "deprecated": {**_DATE, "description": "deprecate only: the deprecation date (default today)"},
        "sunset": {**_DATE, "description": "deprecate only: the date the model goes away"},
        "successor": nullable({**_NAME, "description": "the catalogue model to use instead"}),
    },
}
_PRICE = nullable({"type": "object"})
ENTRY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "provider": {"type": "string"},
        "status": {"type": "string", "enum": [s.value for s in ModelStatus]},
        "capabilities": {"type": "array", "items": {"type": "string", "enum": sorted(CAPABILITIES)}},
        "price": _PRICE,
        "approval": nullable({"type": "object"}),
    },
}
LISTED: dict[str, Any] = {"type": "array", "items": ENTRY}
CHANGE: dict[str, Any] = {"type": "object", "properties": {"id": {"type": "string"}, "status": {"type": "string"}}}


def _view(request: web.Request) -> CatalogueView:
    view = request.app[STATE].slots.get(CATALOGUE)
    if view is None:  # the models capability is installed whenever this router is mounted
        raise NotFound("this server has no model catalogue")
    return view


def _admin(request: web.Request) -> bool:
    return caller_of(request).role is Role.ADMIN


@router.route(
    "GET",
    "/api/models/catalogue",
    summary="The model catalogue: every model with its status, dates, successor and approval",
    params=[
        QueryParam("status", "only models with this status", enum=[s.value for s in ModelStatus]),
        QueryParam("provider", "only this provider's models", max_length=64),
    ],
    response={
        "type": "object",
        "properties": {"object": {"type": "string"}, "data": {"type": "array", "items": ENTRY}},
    },
)
async def get_catalogue(request: web.Request) -> web.StreamResponse:
    view, admin = _view(request), _admin(request)
    status, provider = request.query.get("status") or None, request.query.get("provider") or None
    data = [
        describe(view, e, admin)
        for e in sorted(view.entries(), key=lambda e: (e.provider, e.name))
        if (status is None or e.status.value == status) and (provider is None or e.provider == provider)
    ]
    return json_response({"object": "list", "as_of": view.as_of.isoformat(), "data": data})


def _entry_name(request: web.Request, view: CatalogueView) -> str:
    name = request.match_info["name"]
    if view.entry(name) is None:
        raise NotFound(f"no model {name[:128]!r} in the catalogue", param="name")
    return name


@router.route(
    "GET",
    "/api/models/catalogue/{name}",
    summary="One catalogue model, with its approvals and status changes (newest first)",
    response=ENTRY,
)
async def get_entry(request: web.Request) -> web.StreamResponse:
    view, admin = _view(request), _admin(request)
    name = _entry_name(request, view)
    entry = view.entry(name)
    assert entry is not None
    changes = await asyncio.to_thread(entry_history, request.app[STATE].engine, name, admin)
    return json_response({**describe(view, entry, admin), "history": changes})


def _actor(request: web.Request, caller: Caller) -> str:
    if caller.key_id is None:
        return "admin"
    key = key_by_id(request.app[STATE].engine, caller.key_id)
    return key.owner if key is not None and key.owner else caller.key_id


def _date(body: dict[str, Any], field: str) -> date | None:
    raw = body.get(field)
    if raw is None:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise InvalidRequest(f"`{field}` is not a date: write e.g. 2026-06-01", param=field) from None


def _change_route(action: Action) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        view = _view(request)
        name = _entry_name(request, view)
        body = await json_object(request)
        caller = caller_of(request)
        evidence = body.get("evidence") or {}
        req = ChangeRequest(
            model=name,
            action=action,
            actor=await asyncio.to_thread(_actor, request, caller),
            actor_key_id=caller.key_id,
            comment=str(body.get("comment") or ""),
            evidence_kind=evidence.get("kind"),
            evidence_id=evidence.get("id"),
            deprecated_on=_date(body, "deprecated"),
            sunset_on=_date(body, "sunset"),
            successor=body.get("successor"),
        )
        change = await asyncio.to_thread(record_change, request.app[STATE].engine, view, req)
        await view.refresh()
        return json_response(change_dict(change, admin=True))

    verb = {"approve": "Approve", "deprecate": "Deprecate", "block": "Block", "unblock": "Unblock"}[action]
    router.route(
        "POST",
        f"/api/models/catalogue/{{name}}/{action}",
        summary=f"{verb} a catalogue model (admin; recorded with who, when, why and the evidence)",
        role=Role.ADMIN,
        body=CHANGE_BODY,
        response=CHANGE,
    )(handler)


for _action in ACTIONS:
    _change_route(_action)
