"""`GET /api/prompts/{name}/usage`: a prompt's calls, errors, latency, tokens and cost per version.

Scoped like every prompts route: a workload's key sees the prompt only as its workload resolves the
name (its own prompt, else a shared one; another workload's prompt is the same 404 as a missing
one) and only its own workload's calls; an admin sees every workload's calls, or one with
`?workload=`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from rungway.api.auth import caller_of
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.errors import NotFound
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.prompts.model import valid_name
from rungway.prompts.usage import usage_dict, visible_usage

__all__ = ["router"]

router = ApiRouter("prompts")

_ROW: dict[str, Any] = {
    "type": "object",
    "properties": {
        "version": {"type": ["integer", "null"], "description": "null in the total"},
        "calls": {"type": "integer"},
        "errors": {"type": "integer"},
        "error_rate": {"type": "number", "description": "errors / calls (0 to 1)"},
        "p50_ms": {"type": ["number", "null"]},
        "p95_ms": {"type": ["number", "null"]},
        "tokens_in": {"type": "integer"},
        "tokens_out": {"type": "integer"},
        "cost_nano": {"type": "integer"},
        "cost_usd": {"type": "number"},
    },
}
_USAGE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "workload": {"type": ["string", "null"], "description": "the workload whose calls are counted; null: all"},
        "since": {"type": ["number", "null"]},
        "until": {"type": "number"},
        "versions": {"type": "array", "items": _ROW, "description": "newest version first"},
        "total": _ROW,
    },
}


@router.route(
    "GET",
    "/api/prompts/{name}/usage",
    summary="A prompt's usage per version: calls, errors, error rate, p50/p95 latency, tokens, cost",
    role=Role.VIEWER,
    params=[
        QueryParam("since", "7d, an ISO date or epoch seconds (default 7d)", type="time"),
        QueryParam("until", "an ISO date or epoch seconds (default now)", type="time"),
        QueryParam("workload", "admin: only this workload's calls (others: their own workload)", max_length=64),
    ],
    response=_USAGE,
)
async def get_prompt_usage(request: web.Request) -> web.StreamResponse:
    caller = caller_of(request)
    name = request.match_info["name"]
    workload = request.query.get("workload") or None
    if not valid_name(name):  # as every prompts route: a name that cannot exist is simply not found
        raise NotFound(f"no prompt named {name[:80]!r}", code="prompt_not_found", param="name")
    if caller.role is not Role.ADMIN:
        if workload is not None and workload != caller.workload:
            raise NotFound(f"no prompt named {name!r}", code="prompt_not_found", param="name")
        workload = caller.workload
    usage = await asyncio.to_thread(
        visible_usage,
        request.app[STATE].engine,
        name,
        workload=workload,
        since=request.query.get("since", "7d"),
        until=request.query.get("until") or None,
    )
    return json_response(usage_dict(usage))
