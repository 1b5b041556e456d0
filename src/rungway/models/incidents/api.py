"""`GET /api/incidents` and `/api/incidents/{id}`: failover records, scoped to the caller's workload.

An incident is visible to a workload it affected (one of its calls touched the failing deployment),
and shows only that workload's line among the affected workloads; an admin sees them all. Another
workload's incident is the same 404 as a missing one.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from typing import Any

from aiohttp import web

from rungway.api.auth import caller_of
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.domain.timespec import parse_instant
from rungway.errors import NotFound
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.models.incidents.store import IncidentRow, list_incidents, read_incident, workload_view

__all__ = ["incident_json", "router"]

router = ApiRouter("models")

_COUNTS = {"calls": {"type": "integer"}, "served": {"type": "integer"}, "failed_over": {"type": "integer"},
           "lost": {"type": "integer"}}  # fmt: skip
INCIDENT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "deployment": {"type": "string"},
        "opened_at": {"type": "number"},
        "closed_at": {"type": ["number", "null"], "description": "null while the circuit is still open"},
        "cause": {"type": "string"},
        **_COUNTS,
        "success_rate": {"type": ["number", "null"]},
        "added_p50_ms": {"type": ["number", "null"],
                         "description": "time failed-over calls spent before the try that served them"},
        "added_p99_ms": {"type": ["number", "null"]},
        "normal_p50_ms": {"type": ["number", "null"],
                          "description": "latency of the in-scope calls served without failing over"},
        "normal_p99_ms": {"type": ["number", "null"]},
        "workloads": {"type": "array",
                      "items": {"type": "object", "properties": {"workload": {"type": "string"}, **_COUNTS}}},
    },
}  # fmt: skip


def incident_json(row: IncidentRow) -> dict[str, Any]:
    out = asdict(row)
    out["success_rate"] = row.success_rate
    return out


def _scope(request: web.Request) -> str | None:
    caller = caller_of(request)
    return None if caller.role is Role.ADMIN else (caller.workload or "")


@router.route(
    "GET",
    "/api/incidents",
    summary="Failover incidents (a deployment's circuit opened, then closed), newest first",
    role=Role.VIEWER,
    params=[
        QueryParam("since", "7d, an ISO date or epoch seconds (default 90d)", type="time"),
        QueryParam("limit", "at most this many (default 100)", type="integer", minimum=1, maximum=1000),
    ],
    response={"type": "object", "properties": {"incidents": {"type": "array", "items": INCIDENT}}},
)
async def get_incidents(request: web.Request) -> web.StreamResponse:
    engine = request.app[STATE].engine
    since = request.query.get("since") or None
    since_s = parse_instant(since, time.time()) if since is not None else time.time() - 90 * 86400
    limit = int(request.query.get("limit") or "100")
    workload = _scope(request)
    rows = await asyncio.to_thread(list_incidents, engine, workload, since_s, limit)
    return json_response({"incidents": [incident_json(r) for r in rows]})


@router.route(
    "GET",
    "/api/incidents/{id}",
    summary="One failover incident with its counts per affected workload",
    role=Role.VIEWER,
    response=INCIDENT,
)
async def get_incident(request: web.Request) -> web.StreamResponse:
    engine = request.app[STATE].engine
    incident_id = request.match_info["id"][:40]
    workload = _scope(request)
    row = await asyncio.to_thread(read_incident, engine, incident_id, workload)
    if row is None:
        raise NotFound(f"no incident {incident_id!r}", code="incident_not_found", param="id")
    return json_response(incident_json(workload_view(row, workload)))
