"""`/api/models/upgrades`: write a migration report from stored eval runs, list and read reports, apply one.

Scoped to the caller's workload (another workload's report is the same 404 as a missing one). A
report's numbers are computed here from the stored runs; `/apply` moves the pin only when the
report passes the workload's upgrade gate (409 `upgrade_gate_failed` otherwise).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from rungway.api.bodies import json_object
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.models.pins.access import WORKLOAD_PARAM, acting_name, read_scope, write_scope
from rungway.models.pins.api import PIN_CHANGE
from rungway.models.pins.service import MODEL_NAME, PINS
from rungway.models.upgrades.service import PlanRequest, apply_report, build_report, readable_report
from rungway.models.upgrades.store import list_reports

__all__ = ["router"]

router = ApiRouter("models")

RUN_ID = r"^[A-Za-z0-9_-]{1,40}$"
REPORT_ID = r"^[A-Za-z0-9_-]{1,40}$"
_MODEL = {"type": "string", "pattern": MODEL_NAME, "maxLength": 128}
_SCALAR = {"type": ["string", "number", "integer", "boolean", "null"], "maxLength": 500}
PLAN_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["from", "to", "runs"],
    "additionalProperties": False,
    "properties": {
        "workload": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*$"},
        "from": _MODEL,
        "to": _MODEL,
        "alias": _MODEL,
        "runs": {
            "type": "array",
            "maxItems": 50,
            "items": {
                "type": "object",
                "required": ["a", "b"],
                "additionalProperties": False,
                "properties": {"a": {"type": "string", "pattern": RUN_ID}, "b": {"type": "string", "pattern": RUN_ID}},
            },
        },
        "shadow": {
            "type": "object",
            "maxProperties": 20,
            "additionalProperties": _SCALAR,
            "propertyNames": {"maxLength": 64},
        },
    },
}
REPORT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "workload": {"type": "string"},
        "alias": {"type": "string"},
        "from": {"type": "string"},
        "to": {"type": "string"},
        "passed": {"type": "boolean"},
        "scorers": {"type": "array"},
        "cost": {"type": "object"},
        "latency": {"type": "object"},
        "runs": {"type": "array"},
        "reasons": {"type": "array"},
    },
}
_ID = QueryParam("format", "`markdown` for the report as Markdown (default JSON)", enum=("json", "markdown"))


@router.route(
    "POST",
    "/api/models/upgrades",
    summary="Write a migration report from two eval runs per dataset",
    role=Role.DEVELOPER,
    body=PLAN_BODY,
    response=REPORT,
    status=201,
)
async def post_upgrade(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    state = request.app[STATE]
    req = PlanRequest(
        workload=write_scope(request, body.get("workload"), "upgrade reports"),
        from_model=str(body["from"]),
        to_model=str(body["to"]),
        alias=body.get("alias"),
        runs=[(str(r["a"]), str(r["b"])) for r in body["runs"]],
        shadow=body.get("shadow"),
    )
    actor = await acting_name(request)
    report = await asyncio.to_thread(build_report, state.engine, state.slots[PINS], req, actor)
    return json_response(report.to_json(), status=201)


@router.route(
    "GET",
    "/api/models/upgrades",
    summary="The workload's migration reports, newest first",
    params=[WORKLOAD_PARAM],
    response={"type": "object"},
)
async def get_upgrades(request: web.Request) -> web.StreamResponse:
    workload = read_scope(request, "upgrade reports")
    reports = await asyncio.to_thread(list_reports, request.app[STATE].engine, workload)
    return json_response({"object": "list", "data": [r.to_json() for r in reports]})


def _report_id(request: web.Request) -> str:
    return request.match_info["id"][:40]


@router.route(
    "GET",
    "/api/models/upgrades/{id}",
    summary="A migration report (JSON, or Markdown)",
    params=[_ID],
    response=REPORT,
    content_types=("application/json", "text/markdown"),
)
async def get_upgrade(request: web.Request) -> web.StreamResponse:
    workload = read_scope(request, "upgrade reports")
    report = await asyncio.to_thread(readable_report, request.app[STATE].engine, workload, _report_id(request))
    if request.query.get("format") == "markdown":
        return web.Response(text=report.markdown(), content_type="text/markdown")
    return json_response(report.to_json())


@router.route(
    "POST",
    "/api/models/upgrades/{id}/apply",
    summary="Switch the pin as the report planned, if it passes",
    role=Role.DEVELOPER,
    response=PIN_CHANGE,
)
async def post_apply(request: web.Request) -> web.StreamResponse:
    workload = read_scope(request, "upgrade reports")
    state = request.app[STATE]
    actor = await acting_name(request)
    change = await asyncio.to_thread(
        apply_report, state.engine, state.slots[PINS], workload, _report_id(request), actor
    )
    return json_response(change.to_json())
