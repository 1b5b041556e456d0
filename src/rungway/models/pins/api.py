"""`/api/models/pins`: a workload's pins (the admin: every workload's), set one, roll one back, the history.

Scoped to the caller's workload: another workload's pin is answered like a missing one (404).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from rungway.api.bodies import json_object, text
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.models.pins.access import WORKLOAD_PARAM, acting_name, read_scope, write_scope
from rungway.models.pins.service import MODEL_NAME, PINS, PinService, check_model_name

__all__ = ["PIN", "PIN_CHANGE", "router"]

router = ApiRouter("models")

_STR = {"type": ["string", "null"]}
PIN: dict[str, Any] = {
    "type": "object",
    "properties": {
        "workload": {"type": "string"},
        "alias": {"type": "string"},
        "snapshot": {"type": "string"},
        "source": {"type": "string", "enum": ["config", "store"]},
        "updated_at": _STR,
        "updated_by": _STR,
        "reason": _STR,
        "report_id": _STR,
    },
}
PIN_CHANGE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "workload": {"type": "string"},
        "alias": {"type": "string"},
        "kind": {"type": "string"},
        "from": _STR,
        "to": _STR,
        "actor": {"type": "string"},
        "reason": {"type": "string"},
        "report_id": _STR,
        "changed_at": {"type": "string"},
    },
}
_WORKLOAD = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*$"}
SET_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["snapshot", "reason"],
    "additionalProperties": False,
    "properties": {
        "snapshot": {"type": "string", "pattern": MODEL_NAME, "maxLength": 128},
        "reason": text(1000, "why the pin moves", min_length=1),
        "workload": _WORKLOAD,
    },
}
ROLLBACK_BODY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"reason": text(1000, "why the pin moves back"), "workload": _WORKLOAD},
}


def _listing(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"object": {"type": "string"}, "data": {"type": "array", "items": item}}}


def _service(request: web.Request) -> PinService:
    return request.app[STATE].slots[PINS]


@router.route(
    "GET",
    "/api/models/pins",
    summary="The pins of the caller's workload (admin: every workload's)",
    params=[WORKLOAD_PARAM],
    response=_listing(PIN),
)
async def get_pins(request: web.Request) -> web.StreamResponse:
    workload = read_scope(request, "pins")
    pins = await asyncio.to_thread(_service(request).pins, workload)
    return json_response({"object": "list", "data": [p.to_json() for p in pins]})


@router.route(
    "GET",
    "/api/models/pins/history",
    summary="Changes of the workload's pins, newest first: who, when, from, to, why, which upgrade report",
    params=[
        WORKLOAD_PARAM,
        QueryParam("alias", "only this alias", max_length=128),
        QueryParam("limit", "at most this many (default 100)", type="integer", minimum=1, maximum=1000),
    ],
    response=_listing(PIN_CHANGE),
)
async def get_history(request: web.Request) -> web.StreamResponse:
    workload = read_scope(request, "pin history")
    alias = request.query.get("alias") or None
    limit = int(request.query.get("limit") or 100)
    changes = await asyncio.to_thread(_service(request).history, workload, alias, limit)
    return json_response({"object": "list", "data": [c.to_json() for c in changes]})


@router.route(
    "PUT",
    "/api/models/pins/{alias}",
    summary="Pin a floating alias to a snapshot for the workload",
    role=Role.DEVELOPER,
    body=SET_BODY,
    response=PIN_CHANGE,
)
async def put_pin(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    alias = check_model_name(request.match_info["alias"], "alias")
    workload = write_scope(request, body.get("workload"), "pins")
    actor = await acting_name(request)
    change = await asyncio.to_thread(
        _service(request).set_pin, workload, alias, str(body["snapshot"]), actor, str(body["reason"])
    )
    return json_response(change.to_json())


@router.route(
    "POST",
    "/api/models/pins/{alias}/rollback",
    summary="Restore the pin the alias's last change replaced",
    role=Role.DEVELOPER,
    body=ROLLBACK_BODY,
    response=PIN_CHANGE,
)
async def post_rollback(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    alias = check_model_name(request.match_info["alias"], "alias")
    workload = write_scope(request, body.get("workload"), "pins")
    actor = await acting_name(request)
    reason = str(body.get("reason") or "rollback")
    change = await asyncio.to_thread(_service(request).rollback, workload, alias, actor, reason)
    return json_response(change.to_json())
