"""`/api/models/shadow`: start and stop shadowing a workload's calls to a candidate model, list runs, read a summary.

Scoped to the caller's workload: an API key (of any role) sees and acts on its own workload's runs only
(another workload's run is the same 404 as a missing one); starting and stopping needs the admin role,
so the server's admin key or an admin key of that workload. The server's admin key names any workload.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from rungway.api.auth import Caller, caller_of
from rungway.api.bodies import INSTANT, json_object, nullable, text
from rungway.api.registry import DURATION_PATTERN, ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.domain.timespec import TimeSpecError, parse_duration, parse_instant
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.gateway.slots import StateKey
from rungway.gateway.state import GatewayState
from rungway.models.shadow.config import DEFAULT_IN_FLIGHT, MAX_IN_FLIGHT
from rungway.models.shadow.model import ShadowRun
from rungway.models.shadow.runtime import ShadowRuntime
from rungway.models.shadow.service import start_run, stop_run
from rungway.models.shadow.store import find_run, list_runs
from rungway.models.shadow.summary import summarize

__all__ = ["DEFAULT_DURATION_S", "SHADOW", "router"]

SHADOW = StateKey[ShadowRuntime]("models.shadow")
"""The server's shadow runtime (its book is what the API refreshes after a change)."""
DEFAULT_DURATION_S = 86_400.0

router = ApiRouter("models-shadow")

_RUN: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "workload": {"type": "string"},
        "from_model": {"type": "string"},
        "to_model": {"type": "string"},
        "sample": {"type": "number"},
        "max_in_flight": {"type": "integer"},
        "started_at": {"type": "number"},
        "ends_at": {"type": ["number", "null"]},
        "stopped_at": {"type": ["number", "null"]},
        "started_by": {"type": ["string", "null"]},
        "stopped_by": {"type": ["string", "null"]},
        "source": {"type": "string"},
        "dropped": {"type": "integer"},
        "active": {"type": "boolean"},
    },
}
_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["action"],
    "additionalProperties": False,
    "properties": {
        "action": {"type": "string", "enum": ["start", "stop"]},
        "workload": nullable(text(64, min_length=1)),
        "from": text(128, "model A: the model the workload's calls go to", min_length=1),
        "to": text(128, "model B: the candidate the sampled calls are copied to", min_length=1),
        "sample": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "description": "fraction of A's calls"},
        "max_in_flight": {"type": "integer", "minimum": 1, "maximum": MAX_IN_FLIGHT},
        "duration": {"type": "string", "pattern": DURATION_PATTERN, "description": "how long, e.g. 2h (default 24h)"},
        "ends_at": INSTANT,
        "run_id": text(40, "stop this run only", min_length=1),
    },
}
_STOPPED = {"type": "object", "properties": {"stopped": {"type": "array", "items": {"type": "string"}}}}


def _workload(caller: Caller, asked: str | None, what: str) -> str | None:
    """The workload this caller acts in: a key's own (asking for another is a 404), any for the admin key."""
    if caller.key_id is None:
        return asked
    if asked is not None and asked != caller.workload:
        raise NotFound(f"no {what} for this key in workload {asked!r}", param="workload")
    return caller.workload


def _runtime(state: GatewayState) -> ShadowRuntime:
    return state.slots[SHADOW]


def _actor(caller: Caller) -> str:
    return caller.key_id or "admin"


def _ends_at(body: dict[str, Any], now: float) -> float:
    if body.get("ends_at") is not None and body.get("duration") is not None:
        raise InvalidRequest("give `duration` or `ends_at`, not both", param="ends_at")
    try:
        if body.get("ends_at") is not None:
            return parse_instant(str(body["ends_at"]), now)
        return now + (parse_duration(str(body["duration"])) if body.get("duration") else DEFAULT_DURATION_S)
    except TimeSpecError as exc:
        raise InvalidRequest(str(exc), param="ends_at") from None


def _start(state: GatewayState, caller: Caller, workload: str, body: dict[str, Any]) -> ShadowRun:
    for field in ("from", "to", "sample"):
        if body.get(field) is None:
            raise InvalidRequest(f"`{field}` is required to start a shadow run", param=field)
    now = time.time()
    return start_run(
        state.engine, state.config.models, workload=workload, from_model=str(body["from"]), to_model=str(body["to"]),
        sample=float(body["sample"]), ends_at=_ends_at(body, now), actor=_actor(caller),
        max_in_flight=int(body.get("max_in_flight") or DEFAULT_IN_FLIGHT), now=now,
    )  # fmt: skip


@router.route(
    "POST",
    "/api/models/shadow",
    summary="Start shadowing a sample of a workload's calls from model A to model B (answers never returned), or stop",
    role=Role.ADMIN,
    body=_BODY,
    response={"anyOf": [_RUN, _STOPPED]},
)
async def post_shadow(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    caller = caller_of(request)
    state = request.app[STATE]
    workload = _workload(caller, body.get("workload"), "shadow runs")
    if workload is None:
        raise InvalidRequest("the admin key belongs to no workload: give `workload`", param="workload")
    if body["action"] == "start":
        run = await asyncio.to_thread(_start, state, caller, workload, body)
        await asyncio.to_thread(_runtime(state).book.load)
        return json_response(run.to_json(time.time()))
    run_id = body.get("run_id")
    stopped = await asyncio.to_thread(stop_run, state.engine, workload, _actor(caller), run_id)
    await asyncio.to_thread(_runtime(state).book.load)
    return json_response({"stopped": stopped})


@router.route(
    "GET",
    "/api/models/shadow",
    summary="Shadow runs, newest first (the caller's workload; the admin key names one or sees all)",
    params=[
        QueryParam("workload", "only this workload's runs", max_length=64),
        QueryParam("limit", "at most this many", type="integer", minimum=1, maximum=1000),
    ],
    response={"type": "object", "properties": {"object": {"type": "string"}, "data": {"type": "array", "items": _RUN}}},
)
async def get_runs(request: web.Request) -> web.StreamResponse:
    workload = _workload(caller_of(request), request.query.get("workload") or None, "shadow runs")
    limit = int(request.query.get("limit") or "100")
    runs = await asyncio.to_thread(list_runs, request.app[STATE].engine, workload, limit)
    now = time.time()
    return json_response({"object": "list", "data": [r.to_json(now) for r in runs]})


@router.route(
    "GET",
    "/api/models/shadow/{run_id}",
    summary="A shadow run's summary: B's error rate, latency and cost change with significance, agreement with A",
    response={"type": "object", "properties": {"run": _RUN, "pairs": {"type": "integer"}}},
)
async def get_summary(request: web.Request) -> web.StreamResponse:
    run_id = request.match_info["run_id"]
    caller = caller_of(request)
    engine = request.app[STATE].engine
    run = await asyncio.to_thread(find_run, engine, run_id)
    if run is None or (caller.key_id is not None and run.workload != caller.workload):
        raise NotFound(f"no shadow run {run_id!r}", param="run_id")
    found = await asyncio.to_thread(summarize, engine, run_id)
    if found is None:
        raise NotFound(f"no shadow run {run_id!r}", param="run_id")
    data = found.to_json()
    data["run"]["active"] = found.run.active(time.time())
    return json_response(data)
