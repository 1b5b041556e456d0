"""`/api/audit/holds`: legal holds on the audit trail's content, for admins (the dashboard's Audit page too).

A hold stops retention from erasing a workload's records (`*`: every record) until it is released; placing
and releasing one is captured in the trail like every other change through /api.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from rungway.api.auth import Caller, caller_of
from rungway.api.bodies import json_object
from rungway.api.registry import ApiRouter
from rungway.audit.retention import hold_workload, list_holds, place_hold, release_hold
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE

__all__ = ["HOLD_SCHEMA", "hold_actor", "holds_router"]

holds_router = ApiRouter("audit")
HOLD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "workload": {"type": "string"}, "reason": {"type": "string"}, "actor": {"type": "string"},
        "since": {"type": "number"},
    },
}  # fmt: skip
_BODY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["reason"],
    "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 500}},
}


def hold_actor(caller: Caller) -> str:
    """Who a hold names as placing it (the audit record of the request names the person in full)."""
    return "admin" if caller.key_id is None else f"key:{caller.key_id}"


def _workload(request: web.Request) -> str:
    try:
        return hold_workload(request.match_info["workload"])
    except ValueError as exc:
        raise InvalidRequest(str(exc), param="workload") from None


_LIST = {"type": "object", "properties": {"data": {"type": "array", "items": HOLD_SCHEMA}}}


@holds_router.route("GET", "/api/audit/holds", summary="Legal holds on the audit trail's content", role=Role.ADMIN,
                    response=_LIST)  # fmt: skip
async def get_holds(request: web.Request) -> web.StreamResponse:
    found = await asyncio.to_thread(list_holds, request.app[STATE].engine)
    return json_response({"object": "list", "data": [h.as_dict() for h in found]})


@holds_router.route("PUT", "/api/audit/holds/{workload}", summary="Place a legal hold on a workload (`*`: all)",
                    role=Role.ADMIN, body=_BODY, response=HOLD_SCHEMA)  # fmt: skip
async def put_hold(request: web.Request) -> web.StreamResponse:
    workload = _workload(request)
    body = await json_object(request)
    reason = str(body["reason"]).strip()
    if not reason:
        raise InvalidRequest("reason: give why the hold is placed (a matter, a ticket)", param="reason")
    actor = hold_actor(caller_of(request))
    hold = await asyncio.to_thread(place_hold, request.app[STATE].engine, workload, reason, actor, time.time())
    return json_response(hold.as_dict())


@holds_router.route("DELETE", "/api/audit/holds/{workload}", summary="Release a workload's legal hold",
                    role=Role.ADMIN, response=HOLD_SCHEMA)  # fmt: skip
async def delete_hold(request: web.Request) -> web.StreamResponse:
    workload = _workload(request)
    released = await asyncio.to_thread(release_hold, request.app[STATE].engine, workload)
    if released is None:
        raise NotFound(f"no legal hold on {workload!r}", param="workload")
    return json_response(released.as_dict())
