"""`/api/cache`: what caching saved, the cache's state, semantic hit checks, and clearing a workload's entries.

Scoped to the caller's workload: an API key sees (and, with the developer role, clears) its own workload only;
naming another workload is the same 404 as one with nothing cached. The server's admin key reads and clears any
workload. A clear deletes the stored entries and drops the workload's entries from this server's memory tier and
semantic index (other replicas keep theirs until their entries expire or they restart).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from rungway.api.auth import Caller, caller_of
from rungway.api.registry import ApiRouter, QueryParam
from rungway.caching.config import CACHE_SECTION
from rungway.caching.savings import SAVINGS_BY, savings
from rungway.caching.stats import CHECK_WINDOW_S, cache_stats
from rungway.caching.store import delete_namespace, hit_checks
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE

__all__ = ["router", "workload_of"]

router = ApiRouter("cache")

_WORKLOAD = QueryParam(
    "workload", "the workload (the admin key: any, default every one; others: their own)", max_length=64
)
_BY = QueryParam("by", "group by workload or model (default workload)", enum=SAVINGS_BY)
_SINCE = QueryParam("since", "the window's start: a duration ago (30d), an ISO date or epoch seconds", type="time")
_LIMIT = QueryParam("limit", "checks returned, newest first (default 100)", type="integer", minimum=1, maximum=1000)

_LAYER: dict[str, Any] = {
    "type": "object",
    "properties": {"hits": {"type": "integer"}, "hit_rate": {"type": "number"}, "saved_nano": {"type": "integer"},
                   "saved_usd": {"type": "number"}},
}  # fmt: skip
_SAVINGS_ROW: dict[str, Any] = {
    "type": "object",
    "properties": {
        "key": {"type": ["string", "null"]},
        "chat_calls": {"type": "integer"},
        "exact": _LAYER,
        "semantic": _LAYER,
        "prompt_cache": {"type": "object", "properties": {name: {} for name in ("tokens", "unpriced_tokens",
                                                                                  "saved_nano", "saved_usd")}},
        "saved_nano": {"type": "integer"},
        "saved_usd": {"type": "number"},
        "spend_nano": {"type": "integer"},
        "spend_usd": {"type": "number"},
        "saved_share": {"type": "number", "description": "saved / (spend + saved)"},
    },
}  # fmt: skip
_SAVINGS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "by": {"type": "string"},
        "since": {"type": "number"},
        "until": {"type": "number"},
        "prices_as_of": {"type": "string"},
        "rows": {"type": "array", "items": _SAVINGS_ROW},
        "total": _SAVINGS_ROW,
    },
}
_WORKLOAD_STATS: dict[str, Any] = {
    "type": "object",
    "properties": {
        name: {}
        for name in ("workload", "configured", "entries", "with_vector", "answer_bytes", "memory_entries", "semantic",
                     "threshold", "paused", "state_reason", "checks", "min_precision")
    },
}  # fmt: skip
_STATS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "object": {"type": "string"},
        "memory": {"type": ["object", "null"], "properties": {n: {"type": "integer"} for n in
                                                               ("entries", "bytes", "max_bytes", "evicted")}},
        "data": {"type": "array", "items": _WORKLOAD_STATS},
    },
}  # fmt: skip
_CHECK: dict[str, Any] = {
    "type": "object",
    "properties": {
        name: {}
        for name in ("id", "ts", "workload", "request_id", "entry_id", "similarity", "score", "passed", "cost_nano",
                     "reason")
    },
}  # fmt: skip
_CHECKS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "object": {"type": "string"},
        "workload": {"type": "string"},
        "checked": {"type": "integer"},
        "passed": {"type": "integer"},
        "precision": {"type": ["number", "null"]},
        "data": {"type": "array", "items": _CHECK},
    },
}
_CLEARED: dict[str, Any] = {
    "type": "object",
    "properties": {"workload": {"type": "string"}, "deleted": {"type": "integer"}, "forgotten": {"type": "integer"}},
}


def workload_of(caller: Caller, asked: str | None) -> str | None:
    """The workload this caller reads or clears: a key's own (asking for another is a 404); any for the admin key."""
    if caller.key_id is None:
        return asked
    if asked is not None and asked != caller.workload:
        raise NotFound(f"no cache for this key in workload {asked!r}", param="workload")
    return caller.workload


def _named(request: web.Request) -> str:
    workload = workload_of(caller_of(request), request.query.get("workload") or None)
    if workload is None:
        raise InvalidRequest("the admin key belongs to no workload: give `?workload=`", param="workload")
    return workload


@router.route(
    "GET",
    "/api/cache/savings",
    summary="What the exact and semantic caches and the providers' prompt caching saved, next to spend, by workload "
    "or model over a window",
    params=[_BY, _SINCE, _WORKLOAD],
    response=_SAVINGS,
)
async def get_savings(request: web.Request) -> web.StreamResponse:
    workload = workload_of(caller_of(request), request.query.get("workload") or None)
    state = request.app[STATE]
    report = await asyncio.to_thread(
        savings,
        state.engine,
        state.config.prices,
        request.query.get("by") or "workload",
        request.query.get("since") or "30d",
        None,
        None if workload is None else [workload],
    )
    return json_response(report.to_json())


@router.route(
    "GET",
    "/api/cache/stats",
    summary="Stored entries per workload, this server's memory tier, the semantic checks' precision and states",
    params=[_WORKLOAD],
    response=_STATS,
)
async def get_stats(request: web.Request) -> web.StreamResponse:
    workload = workload_of(caller_of(request), request.query.get("workload") or None)
    state = request.app[STATE]
    from rungway.caching.runtime import CACHE  # not at the top: the runtime imports numpy (see install.py)

    runtime = state.slots.get(CACHE)
    memory = runtime.memory if runtime is not None else None
    config = state.config.section(CACHE_SECTION)
    found = await asyncio.to_thread(
        cache_stats, state.engine, config, None if workload is None else [workload], time.time(), memory
    )
    if memory is not None and workload is not None:  # a key sees its own workload, not the server's whole tier
        found = type(found)(found.workloads, None)
    return json_response(found.to_json())


@router.route(
    "GET",
    "/api/cache/checks",
    summary="A workload's semantic hits re-asked upstream (last 7 days, newest first) and their precision",
    params=[_WORKLOAD, _LIMIT],
    response=_CHECKS,
)
async def get_checks(request: web.Request) -> web.StreamResponse:
    workload = _named(request)
    limit = int(request.query.get("limit") or 100)
    engine = request.app[STATE].engine
    since = time.time() - CHECK_WINDOW_S
    found = await asyncio.to_thread(hit_checks, engine, workload, since, limit)
    stats = await asyncio.to_thread(cache_stats, engine, request.app[STATE].config.section(CACHE_SECTION),
                                    [workload], time.time())  # fmt: skip
    row = stats.workloads[0]
    return json_response({
        "object": "list",
        "workload": workload,
        "checked": row.checked,
        "passed": row.passed,
        "precision": row.precision,
        "data": [{name: getattr(c, name) for name in c.__dataclass_fields__} for c in found],
    })  # fmt: skip


@router.route(
    "DELETE",
    "/api/cache/entries",
    summary="Forget a workload's cached answers: the stored entries and this server's memory and semantic index",
    role=Role.DEVELOPER,
    params=[_WORKLOAD],
    response=_CLEARED,
)
async def delete_entries(request: web.Request) -> web.StreamResponse:
    workload = _named(request)
    state = request.app[STATE]
    deleted = await asyncio.to_thread(delete_namespace, state.engine, workload)
    from rungway.caching.runtime import CACHE  # not at the top: the runtime imports numpy (see install.py)

    runtime = state.slots.get(CACHE)
    forgotten = runtime.forget_workload(workload) if runtime is not None else 0
    return json_response({"workload": workload, "deleted": deleted, "forgotten": forgotten})
