"""`/api/logs` (the request log, filtered and paged) and `/api/usage` (roll-ups by a dimension).

A key that is not admin sees only its own workload's calls.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from rungway.api.auth import caller_of, note_read
from rungway.api.bodies import flag
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.errors import PermissionDenied
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.services.logs import (
    PROMPT_FILTER_HELP,
    PROMPT_FILTER_PATTERN,
    USAGE_BY,
    build_filter,
    parse_time,
    search_logs,
    total_of,
    usage_report,
)
from rungway.store.requests import USAGE_DIMENSIONS

__all__ = ["LOG_ROW_SCHEMA", "USAGE_ROW_SCHEMA", "router"]

router = ApiRouter("logs")

_STR = {"type": ["string", "null"]}
_NUM = {"type": ["number", "null"]}
LOG_ROW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "One gateway call. Times are epoch seconds, durations milliseconds.",
    "properties": {
        "id": {"type": "string"},
        "ts_start": {"type": "number"},
        "ts_end": {"type": "number"},
        "workload": _STR,
        "key_id": _STR,
        "user": _STR,
        "team": _STR,
        "tags": {"type": "object", "additionalProperties": {"type": "string"}},
        "endpoint": {"type": "string"},
        "model_requested": _STR,
        "model_resolved": _STR,
        "provider": _STR,
        "provider_account": _STR,
        "status": {"type": "integer"},
        "error_type": _STR,
        "error_message": _STR,
        "stream": {"type": "boolean"},
        "latency_ms": {"type": "number"},
        "ttft_ms": _NUM,
        "upstream_ms": _NUM,
        "overhead_ms": _NUM,
        "tokens_in": {"type": "integer"},
        "tokens_out": {"type": "integer"},
        "tokens_cached": {"type": "integer"},
        "cost_nano": {"type": "integer", "description": "cost in 1e-9 USD"},
        "cost_usd": {"type": "number"},
        "priced": {"type": "boolean"},
        "trace_id": _STR,
        "span_id": _STR,
        "usage_anomaly": {"type": ["string", "null"], "description": "why the upstream's usage was corrected"},
        "prompt_name": {"type": ["string", "null"], "description": "the registry prompt the call referenced"},
        "prompt_version": {"type": ["integer", "null"], "description": "the version of it the call rendered"},
        "deployment": {"type": ["string", "null"], "description": "the deployment that served the call or failed last"},
        "route_rule": {"type": ["string", "null"], "description": "the routing rule that chose it (null: default)"},
        "attempts": {"type": ["integer", "null"], "description": "tries sent upstream (retries and failovers)"},
        "failed_over": {"type": ["boolean", "null"], "description": "served or failed on another deployment"},
        "guardrails": {
            "type": ["string", "null"],
            "description": "guardrail hits as direction:rule:action, comma-separated (never the matched value)",
        },
        "recorded_at": {"type": ["number", "null"], "description": "when the row was stored (epoch seconds)"},
    },
}
USAGE_ROW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "key": {"type": ["string", "null"], "description": "the value of the `by` dimension"},
        "requests": {"type": "integer"},
        "errors": {"type": "integer"},
        "tokens_in": {"type": "integer"},
        "tokens_out": {"type": "integer"},
        "tokens_cached": {"type": "integer"},
        "cost_nano": {"type": "integer"},
        "cost_usd": {"type": "number"},
        "avg_latency_ms": _NUM,
    },
}
_TIME_HELP = "a duration ago (7d, 24h, 30m), an ISO 8601 date/time or epoch seconds"
_GROUPS = tuple(dict.fromkeys([*USAGE_BY, *USAGE_DIMENSIONS]))


def _scoped_workload(request: web.Request) -> str | None:
    """The workload filter this caller may use: their own unless admin."""
    caller = caller_of(request)
    asked = request.query.get("workload") or None
    if caller.role is Role.ADMIN:
        return asked
    if asked is not None and not caller.can_see(asked):
        raise PermissionDenied(
            f"This key belongs to workload {caller.workload!r} and cannot read {asked!r}.", code="workload_forbidden"
        )
    return caller.workload


@router.route(
    "GET",
    "/api/logs",
    summary="Query the request log, newest first",
    params=[
        QueryParam("workload", "only this workload", max_length=64),
        QueryParam("user", "only this user"),
        QueryParam("model", "requested or resolved model", max_length=128),
        QueryParam("deployment", "only calls served by (or last failed on) this deployment", max_length=128),
        QueryParam("status", "only this HTTP status", type="integer", minimum=100, maximum=599),
        QueryParam("errors", "only failed calls (status >= 400)", type="boolean"),
        QueryParam(
            "prompt", f"only calls that rendered {PROMPT_FILTER_HELP}", max_length=140, pattern=PROMPT_FILTER_PATTERN
        ),
        QueryParam("since", f"from: {_TIME_HELP}", type="time"),
        QueryParam("until", f"before: {_TIME_HELP}", type="time"),
        QueryParam("min_cost", "only calls costing at least this many USD", type="number", minimum=0, maximum=1e9),
        QueryParam("min_latency_ms", "only calls at least this slow", type="number", minimum=0, maximum=1e12),
        QueryParam("limit", "rows per page, 1-1000 (default 100)", type="integer", minimum=1, maximum=1000),
        QueryParam("cursor", "`next_cursor` of the previous page"),
    ],
    response={
        "type": "object",
        "properties": {
            "object": {"const": "list"},
            "data": {"type": "array", "items": LOG_ROW_SCHEMA},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
)
async def logs(request: web.Request) -> web.StreamResponse:
    q = request.query
    workload = _scoped_workload(request)
    note_read(request, "logs", workload)
    f = build_filter(
        now=time.time(),
        workload=workload,
        user=q.get("user"),
        model=q.get("model"),
        status=q.get("status"),
        errors=flag(request, "errors"),
        since=q.get("since"),
        until=q.get("until"),
        limit=q.get("limit"),
        cursor=q.get("cursor"),
        min_cost=q.get("min_cost"),
        min_latency_ms=q.get("min_latency_ms"),
        prompt=q.get("prompt"),
        deployment=q.get("deployment"),
    )
    page = await asyncio.to_thread(search_logs, request.app[STATE].engine, f)
    return json_response({"object": "list", "data": page.rows, "next_cursor": page.next_cursor})


@router.route(
    "GET",
    "/api/usage",
    summary="Requests, errors, tokens and cost grouped by one dimension",
    params=[
        QueryParam("by", "the dimension to group by (default workload)", enum=_GROUPS),
        QueryParam("since", f"from: {_TIME_HELP} (default 7d)", type="time"),
        QueryParam("until", f"before: {_TIME_HELP}", type="time"),
        QueryParam("workload", "only this workload", max_length=64),
    ],
    response={
        "type": "object",
        "properties": {
            "by": {"type": "string"},
            "since": _NUM,
            "until": _NUM,
            "data": {"type": "array", "items": USAGE_ROW_SCHEMA},
            "total": USAGE_ROW_SCHEMA,
        },
    },
)
async def usage(request: web.Request) -> web.StreamResponse:
    q = request.query
    now = time.time()
    by = q.get("by") or "workload"
    since = parse_time(q.get("since") or "7d", now, "since")
    until = parse_time(q.get("until"), now, "until")
    workload = _scoped_workload(request)
    note_read(request, "usage", workload)
    rows = await asyncio.to_thread(usage_report, request.app[STATE].engine, by, since, until, workload)
    return json_response(
        {
            "by": by,
            "since": since,
            "until": until,
            "data": [r.as_dict() for r in rows],
            "total": total_of(rows).as_dict(),
        }
    )
