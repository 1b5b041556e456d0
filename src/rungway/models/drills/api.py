"""`POST /api/drills` (admin) starts an outage drill; `GET /api/drills` and `/api/drills/{id}` read them.

A drill faults shared infrastructure (a deployment) and reports on every workload, so all three
routes are the admin's. A running drill is read with its counts so far.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

import orjson
from aiohttp import web

from rungway.api.auth import caller_of
from rungway.api.bodies import json_object
from rungway.api.registry import ApiRouter
from rungway.domain.keys import Role
from rungway.errors import NotFound, Overloaded
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.models.drills.runner import MAX_DURATION_S, MAX_LATENCY_S, DrillRequest, DrillRunner
from rungway.models.drills.store import DrillRow, list_drills, read_drill
from rungway.models.health.runtime import DRILLS

__all__ = ["drill_json", "router"]

router = ApiRouter("models")

DRILL_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["deployment", "duration_s"],
    "additionalProperties": False,
    "properties": {
        "deployment": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[^\\x00-\\x1f\\x7f]+$"},
        "duration_s": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_DURATION_S},
        "error_rate": {"type": "number", "minimum": 0, "maximum": 1,
                       "description": "default 1.0 unless latency_s or hang"},
        "latency_s": {"type": "number", "minimum": 0, "maximum": MAX_LATENCY_S},
        "hang": {"type": "boolean", "description": "no answer until each try's deadline"},
    },
}  # fmt: skip
_COUNTS = {"type": "object", "additionalProperties": {"type": "object"}}
DRILL: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"}, "deployment": {"type": "string"}, "fault": {"type": "string"},
        "error_rate": {"type": "number"}, "latency_s": {"type": "number"}, "duration_s": {"type": "number"},
        "started_at": {"type": "number"}, "ends_at": {"type": "number"}, "finished_at": {"type": ["number", "null"]},
        "status": {"type": "string", "enum": ["running", "finished", "interrupted"]}, "actor": {"type": "string"},
        "calls": {"type": "integer"}, "served": {"type": "integer"}, "failed_over": {"type": "integer"},
        "lost": {"type": "integer"}, "success_rate": {"type": ["number", "null"]},
        "added_p50_ms": {"type": ["number", "null"]}, "added_p99_ms": {"type": ["number", "null"]},
        "normal_p50_ms": {"type": ["number", "null"]}, "normal_p99_ms": {"type": ["number", "null"]},
        "workloads": _COUNTS,
    },
}  # fmt: skip


def drill_json(row: DrillRow) -> dict[str, Any]:
    out = asdict(row)
    out["workloads"] = orjson.loads(row.workloads or "{}")
    return out


def _runner(request: web.Request) -> DrillRunner:
    runner = request.app[STATE].slots.get(DRILLS)
    if runner is None:
        raise Overloaded("drills are not running on this server")
    return runner


@router.route(
    "POST",
    "/api/drills",
    summary="Start an outage drill: fault a deployment for a while and record what the workloads saw",
    role=Role.ADMIN,
    body=DRILL_BODY,
    response=DRILL,
    status=201,
)
async def post_drill(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    latency = float(body.get("latency_s", 0.0))
    hang = bool(body.get("hang", False))
    default_rate = 0.0 if (latency or hang) else 1.0
    drill = DrillRequest(
        deployment=str(body["deployment"]),
        duration_s=float(body["duration_s"]),
        error_rate=float(body.get("error_rate", default_rate)),
        latency_s=latency,
        hang=hang,
    )
    caller = caller_of(request)
    row = await _runner(request).start(drill, caller.key_id or "admin")
    return json_response(drill_json(row), status=201)


@router.route(
    "GET",
    "/api/drills",
    summary="Outage drills, newest first",
    role=Role.ADMIN,
    response={"type": "object", "properties": {"drills": {"type": "array", "items": DRILL}}},
)
async def get_drills(request: web.Request) -> web.StreamResponse:
    rows = await asyncio.to_thread(list_drills, request.app[STATE].engine)
    runner = _runner(request)
    return json_response({"drills": [drill_json(runner.live(r)) for r in rows]})


@router.route("GET", "/api/drills/{id}", summary="One outage drill and its report", role=Role.ADMIN, response=DRILL)
async def get_drill(request: web.Request) -> web.StreamResponse:
    drill_id = request.match_info["id"][:40]
    row = await asyncio.to_thread(read_drill, request.app[STATE].engine, drill_id)
    if row is None:
        raise NotFound(f"no drill {drill_id!r}", code="drill_not_found", param="id")
    return json_response(drill_json(_runner(request).live(row)))
