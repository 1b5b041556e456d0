"""`/api/workloads`: list, create, read and change workloads (limits, capture, team, risk tier)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from rungway.api.auth import caller_of
from rungway.api.bodies import json_object, nullable, text
from rungway.api.registry import ApiRouter
from rungway.domain.keys import Role
from rungway.domain.workloads import ContentCapture, RiskTier
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.services.workloads import add_workload, describe_workload, find_workload, update_workload
from rungway.settings.config import INT64_MAX
from rungway.store.workloads import list_workloads

__all__ = ["WORKLOAD_NAME", "WORKLOAD_SCHEMA", "router"]

router = ApiRouter("workloads")

_NULLABLE_INT = {"type": ["integer", "null"], "minimum": 1, "maximum": INT64_MAX}  # as the config takes
WORKLOAD_NAME: dict[str, Any] = {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,62}$"}
_FIELDS: dict[str, Any] = {
    "description": text(4096, multiline=True),
    "team": nullable(text(128)),
    "tenant": nullable(text(128)),
    "risk_tier": {"type": "string", "enum": [t.value for t in RiskTier]},
    "capture": {"type": "string", "enum": [c.value for c in ContentCapture], "description": "content capture"},
    "retention_days": _NULLABLE_INT,
    "rpm_limit": _NULLABLE_INT,
    "tpm_limit": _NULLABLE_INT,
}

WORKLOAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"name": {"type": "string"}, **_FIELDS, "created_at": {"type": "number"}},
    "required": ["name", "risk_tier", "capture"],
}
_CREATE_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {"name": WORKLOAD_NAME, **_FIELDS},
}
_UPDATE_BODY: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": _FIELDS}
_LIST: dict[str, Any] = {
    "type": "object",
    "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": WORKLOAD_SCHEMA}},
}


@router.route("GET", "/api/workloads", summary="List workloads", response=_LIST)
async def list_all(request: web.Request) -> web.StreamResponse:
    caller = caller_of(request)
    rows = await asyncio.to_thread(list_workloads, request.app[STATE].engine)
    data = [describe_workload(w) for w in rows if caller.can_see(w.name)]
    return json_response({"object": "list", "data": data})


@router.route(
    "POST",
    "/api/workloads",
    summary="Create a workload",
    role=Role.ADMIN,
    body=_CREATE_BODY,
    response=WORKLOAD_SCHEMA,
    status=201,
)
async def create(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    name = body.pop("name", None)
    if not isinstance(name, str) or not name:
        raise InvalidRequest('name is required, e.g. {"name": "support-bot"}', param="name")
    state = request.app[STATE]
    workload = await asyncio.to_thread(add_workload, state.engine, name, body)
    state.directory.put_workload(workload)
    return json_response(describe_workload(workload), status=201)


def _visible_name(request: web.Request) -> str:
    name = request.match_info["name"]
    if not caller_of(request).can_see(name):
        raise NotFound(f"no workload named {name!r}", param="name")
    return name


@router.route("GET", "/api/workloads/{name}", summary="Read a workload", response=WORKLOAD_SCHEMA)
async def get_one(request: web.Request) -> web.StreamResponse:
    workload = await asyncio.to_thread(find_workload, request.app[STATE].engine, _visible_name(request))
    return json_response(describe_workload(workload))


@router.route(
    "PATCH",
    "/api/workloads/{name}",
    summary="Change a workload's limits, capture, team or risk tier",
    role=Role.ADMIN,
    body=_UPDATE_BODY,
    response=WORKLOAD_SCHEMA,
)
async def update(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    state = request.app[STATE]
    workload = await asyncio.to_thread(update_workload, state.engine, _visible_name(request), body)
    state.directory.put_workload(workload)
    return json_response(describe_workload(workload))
