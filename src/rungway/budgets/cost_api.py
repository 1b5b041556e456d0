"""`/api/cost/report`: spend grouped by workload, user, model, team, tag, provider, provider account or prompt."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from rungway.api.auth import caller_of, note_read
from rungway.api.registry import ApiRouter, QueryParam
from rungway.budgets.cost import COST_BY, cost_report, report_dict
from rungway.domain.keys import Role
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE

__all__ = ["router"]

router = ApiRouter("cost")

_ROW: dict[str, Any] = {
    "type": "object",
    "properties": {
        "key": {"type": ["string", "null"]},
        "requests": {"type": "integer"},
        "cost_nano": {"type": "integer"},
        "cost_usd": {"type": "number"},
        "cost_per_1k_requests_usd": {"type": "number"},
    },
}
_REPORT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "total": _ROW,
        "rows": {"type": "array", "items": _ROW},
        "daily": {"type": "array", "items": _ROW},
        "top_users": {"type": "array", "items": _ROW},
        "reconciled": {"type": "boolean", "description": "groups and days add up to the total exactly"},
    },
}


@router.route(
    "GET",
    "/api/cost/report",
    summary="Cost report: groups, daily series, top spenders, cost per 1k requests",
    role=Role.VIEWER,
    params=[
        QueryParam("by", "the dimension to group by (default workload)", enum=COST_BY),
        QueryParam("tag", "with by=tag: the tag key to group by", max_length=64),
        QueryParam("since", "7d, an ISO date or epoch seconds (default 30d)", type="time"),
        QueryParam("until", "an ISO date or epoch seconds", type="time"),
        QueryParam("workload", "only this workload", max_length=64),
    ],
    response=_REPORT,
)
async def get_cost_report(request: web.Request) -> web.StreamResponse:
    caller = caller_of(request)
    q = request.query
    workload = q.get("workload") or None
    if caller.role is not Role.ADMIN:
        workload = caller.workload  # a workload key sees its own workload's spend only
    note_read(request, "cost_report", workload)
    report = await asyncio.to_thread(
        cost_report,
        request.app[STATE].engine,
        q.get("by", "workload"),
        q.get("since", "30d"),
        q.get("until") or None,
        q.get("tag") or None,
        workload,
    )
    return json_response(report_dict(report))
