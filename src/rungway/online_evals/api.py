"""`/api/online-evals`: list, add and remove a workload's online scorers, and read its status.

Scoped to the caller's workload: an API key (of any role) sees its own workload's scorers and status only
(another workload's is the same 404 as a missing one); adding and removing needs the admin role (a scorer
spends on judge calls), so the server's admin key or an admin key of that workload. The server's admin key
names any workload. Bodies are checked by their JSON schema and then as the configuration is (the assertion
built once): a mistake is a 400 naming the field.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from rungway.api.auth import Caller, caller_of
from rungway.api.bodies import json_object, text
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.gateway.slots import StateKey
from rungway.online_evals.config import MAX_SAMPLE_MIN, ONLINE_EVALS_SECTION
from rungway.online_evals.model import NAME_PATTERN
from rungway.online_evals.runtime import OnlineRuntime
from rungway.online_evals.service import add_scorer, remove_scorer, workload_status
from rungway.online_evals.store import list_scorers

__all__ = ["ONLINE", "router", "workload_of"]

ONLINE = StateKey[OnlineRuntime]("online_evals")
"""The server's online scoring runtime (its book is refreshed after a change through the API)."""

router = ApiRouter("online-evals")

_WORKLOAD = QueryParam("workload", "the workload (the admin key: any; others: their own)", max_length=64)
_SPEC: dict[str, Any] = {
    "type": "object",
    "required": ["type"],
    "maxProperties": 32,
    "description": "an assertion of the evaluation registry, e.g. {type: llm-rubric, value: ...} (docs/evals.md)",
    "properties": {"type": text(200, "the assertion type", min_length=1)},
}
_FILTER: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "model": text(128, "the model the call asked for or was resolved to", min_length=1),
        "endpoint": text(32, "e.g. chat.completions, messages, responses", min_length=1),
        "route": text(128, "the deployment that served the call", min_length=1),
        "prompt": text(128, "the registry prompt the call referenced", min_length=1),
        "prompt_version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        "tags": {"type": "object", "maxProperties": 16, "additionalProperties": text(256)},
    },
}
_SCORER: dict[str, Any] = {
    "type": "object",
    "properties": {
        name: {}
        for name in (
            "id",
            "workload",
            "name",
            "type",
            "assert",
            "sample",
            "filter",
            "source",
            "created_at",
            "created_by",
        )
    },
}
_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["name", "assert"],
    "additionalProperties": False,
    "properties": {
        "workload": text(64, "the workload (default: the key's)", min_length=1),
        "name": {"type": "string", "pattern": NAME_PATTERN, "description": "the score records' name, e.g. helpful"},
        "assert": _SPEC,
        "sample": {"type": "number", "minimum": MAX_SAMPLE_MIN, "maximum": 1, "description": "share judged (0.1)"},
        "filter": _FILTER,
    },
}
_STATUS: dict[str, Any] = {
    "type": "object",
    "properties": {
        name: {}
        for name in (
            "workload",
            "daily_cost_cap_usd",
            "spent_today_usd",
            "capped",
            "matched_calls_today",
            "scorers",
            "means",
        )
    },
}


def workload_of(caller: Caller, asked: str | None) -> str | None:
    """The workload this caller reads or acts in: a key's own (asking for another is a 404); any for the admin key."""
    if caller.key_id is None:
        return asked
    if asked is not None and asked != caller.workload:
        raise NotFound(f"no online scorers for this key in workload {asked!r}", param="workload")
    return caller.workload


def _runtime(request: web.Request) -> OnlineRuntime:
    return request.app[STATE].slots[ONLINE]


@router.route(
    "GET",
    "/api/online-evals",
    summary="The online scorers of this key's workload (the admin key: every workload's, or one)",
    params=[_WORKLOAD],
    response={
        "type": "object",
        "properties": {"object": {"type": "string"}, "data": {"type": "array", "items": _SCORER}},
    },
)
async def get_scorers(request: web.Request) -> web.StreamResponse:
    workload = workload_of(caller_of(request), request.query.get("workload") or None)
    found = await asyncio.to_thread(list_scorers, request.app[STATE].engine, None if workload is None else [workload])
    return json_response({"object": "list", "data": [s.to_json() for s in found]})


@router.route(
    "POST",
    "/api/online-evals",
    summary="Attach an online scorer (any evaluation assertion) to a workload, with a filter and a sampling rate",
    role=Role.ADMIN,
    body=_BODY,
    response=_SCORER,
)
async def post_scorer(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    caller = caller_of(request)
    workload = workload_of(caller, body.get("workload"))
    if workload is None:
        raise InvalidRequest("the admin key belongs to no workload: give `workload`", param="workload")
    state = request.app[STATE]
    config = state.config.section(ONLINE_EVALS_SECTION)
    made = await asyncio.to_thread(
        add_scorer, state.engine, set(state.config.models), config, workload, body, caller.key_id or "admin"
    )
    await _runtime(request).book.refresh()
    return json_response(made.to_json(), status=201)


@router.route(
    "DELETE",
    "/api/online-evals/{name}",
    summary="Remove a workload's online scorer added through the API (a configured one is removed in rungway.yaml)",
    role=Role.ADMIN,
    params=[_WORKLOAD],
    response=_SCORER,
)
async def delete_scorer(request: web.Request) -> web.StreamResponse:
    workload = workload_of(caller_of(request), request.query.get("workload") or None)
    if workload is None:
        raise InvalidRequest("the admin key belongs to no workload: give `?workload=`", param="workload")
    name = request.match_info["name"][:64]
    removed = await asyncio.to_thread(remove_scorer, request.app[STATE].engine, workload, name)
    await _runtime(request).book.refresh()
    return json_response(removed.to_json())


@router.route(
    "GET",
    "/api/online-evals/status",
    summary="Online scoring today per workload: scorers and their counts, spend against the daily cap, score means "
    "of the last day from online scorers and from feedback side by side",
    params=[_WORKLOAD],
    response={
        "type": "object",
        "properties": {"object": {"type": "string"}, "data": {"type": "array", "items": _STATUS}},
    },
)
async def get_status(request: web.Request) -> web.StreamResponse:
    workload = workload_of(caller_of(request), request.query.get("workload") or None)
    state = request.app[STATE]
    await _runtime(request).book.refresh()  # this replica's counts first
    config = state.config.section(ONLINE_EVALS_SECTION)
    found = await asyncio.to_thread(workload_status, state.engine, config, None if workload is None else [workload])
    return json_response({"object": "list", "data": [s.to_json() for s in found]})
