"""`/api/traces`: list traces with filters, show one as a span tree, ingest stats, purge.

Non-admin keys see only their own workload's part of a trace: its roll-up (totals over its own
spans) and its own spans; another workload's spans in the same trace show as placeholders (ids,
parent, times, `hidden`). Reads run in a worker thread so a slow query never blocks the event loop
that serves the gateway.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiohttp import web

from rungway.api.auth import caller_of, note_read
from rungway.api.bodies import text
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.domain.pricing import NANO_PER_USD
from rungway.domain.timespec import DAY, TimeSpecError, parse_instant
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.traces.config import TRACING_SECTION
from rungway.traces.store import TraceFilter, get_trace, list_traces, purge_expired, purge_traces, trace_stats
from rungway.traces.views import trace_tree

__all__ = ["TRACE_FILTERS", "router", "trace_filter"]

log = logging.getLogger("rungway.traces.api")
router = ApiRouter("traces")

TRACE_FILTERS = [
    QueryParam("workload", "Only this workload", max_length=64),
    QueryParam("user", "Only this user"),
    QueryParam("session", "Only this session id"),
    QueryParam("status", "ok or error", enum=("ok", "error")),
    QueryParam("model", "Only traces with a span on this model", max_length=128),
    QueryParam("min_cost", "Only traces costing at least this many USD", "number", minimum=0, maximum=1e9),
    QueryParam("min_latency_ms", "Only traces lasting at least this long", "number", minimum=0, maximum=1e12),
    QueryParam("since", "7d, 24h, an ISO date or epoch seconds", type="time"),
    QueryParam("q", "Text that must appear in a span's prompts, outputs or attributes"),
    QueryParam("limit", "At most this many traces (default 50, max 1000)", "integer", minimum=1, maximum=1000),
]


def _number(value: str | None, name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise InvalidRequest(f"{name} must be a number, got {value!r}", param=name) from None


def trace_filter(query: Any, forced_workload: str | None = None) -> TraceFilter:
    """A TraceFilter from query parameters (or CLI options with the same names)."""
    status = query.get("status") or None
    if status not in (None, "ok", "error"):
        raise InvalidRequest(f"status must be ok or error, got {status!r}", param="status")
    since = None
    if query.get("since"):
        try:
            since = parse_instant(query["since"], time.time())
        except TimeSpecError as exc:
            raise InvalidRequest(str(exc), param="since") from None
    min_cost = _number(query.get("min_cost"), "min_cost")
    limit = _number(query.get("limit"), "limit")
    return TraceFilter(
        workload=forced_workload or query.get("workload") or None,
        user=query.get("user") or None,
        session=query.get("session") or None,
        status=status,
        model=query.get("model") or None,
        min_cost_nano=round(min_cost * NANO_PER_USD) if min_cost is not None else None,
        min_latency_ms=_number(query.get("min_latency_ms"), "min_latency_ms"),
        since=since,
        text=query.get("q") or None,
        limit=int(limit) if limit is not None else 50,
    )


def _scope(request: web.Request) -> str | None:
    caller = caller_of(request)
    return None if caller.role is Role.ADMIN else caller.workload


@router.route("GET", "/api/traces", summary="List traces, newest first", params=TRACE_FILTERS)
async def list_handler(request: web.Request) -> web.StreamResponse:
    engine = request.app[STATE].engine
    f = trace_filter(request.query, _scope(request))
    note_read(request, "traces", f.workload)
    rows = await asyncio.to_thread(list_traces, engine, f)
    for row in rows:
        row["cost_usd"] = row["cost_nano"] / NANO_PER_USD
    return json_response({"object": "list", "data": rows})


@router.route(
    "GET",
    "/api/traces/stats",
    summary="Traces and spans stored (what an ingest poller checks)",
    params=[QueryParam("workload", "Only this workload", max_length=64)],
)
async def stats_handler(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    workload = _scope(request) or request.query.get("workload") or None
    stats = await asyncio.to_thread(trace_stats, state.engine, workload)
    return json_response(stats)


@router.route("GET", "/api/traces/{trace_id}", summary="One trace as a span tree with prompts and outputs")
async def show_handler(request: web.Request) -> web.StreamResponse:
    trace_id = request.match_info["trace_id"].lower()
    found = await asyncio.to_thread(get_trace, request.app[STATE].engine, trace_id, _scope(request))
    if found is None:
        raise NotFound(f"No trace {trace_id}.", code="trace_not_found")
    tree = trace_tree(*found)
    note_read(request, "traces", _scope(request) or tree.get("workload"))
    return json_response(tree)


@router.route(
    "POST",
    "/api/traces/purge",
    summary="Delete expired traces (each workload's retention_days), or older than `older_than_days`",
    role=Role.ADMIN,
    body={
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "workload": text(64),
            "older_than_days": {"type": "number", "minimum": 0, "maximum": 36500},
        },
    },
)
async def purge_handler(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    body = await request.json() if request.can_read_body else {}
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    days = body.get("older_than_days")
    workload = body.get("workload")
    if days is None:
        default = state.config.section(TRACING_SECTION).retention_days
        results = await asyncio.to_thread(purge_expired, state.engine, default)
        data = [
            {"workload": r.workload, "retention_days": r.retention_days, "traces": r.traces, "spans": r.spans}
            for r in results
            if workload in (None, r.workload)
        ]
        return json_response({"purged": data})
    if not isinstance(days, int | float) or isinstance(days, bool) or days < 0:
        raise InvalidRequest("older_than_days must be a number >= 0", param="older_than_days")
    removed = await asyncio.to_thread(purge_traces, state.engine, workload, time.time() - days * DAY)
    log.info("purge: workload %s, older than %s days: %d traces, %d spans deleted", workload, days, *removed)
    return json_response({"purged": [{"workload": workload, "traces": removed[0], "spans": removed[1]}]})
