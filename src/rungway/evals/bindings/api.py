"""`/api/eval-bindings`: bind a dataset (with its gate requirement) to a workload's prompt, unbind it, list them.

Scoped like prompts and datasets: a key that is not admin works in its own workload only (asking for another
is "not found"); an admin names the workload. A binding's dataset must be one the workload sees.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from rungway.api.bodies import json_object, nullable
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest
from rungway.evals.actor import Actor
from rungway.evals.api_access import WORKLOAD_PARAM, actor_for, target_workload, view_of
from rungway.evals.bindings import service
from rungway.evals.bindings.model import REQUIREMENT_PATTERN
from rungway.evals.datasets.schemas import listing
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE

__all__ = ["router"]

router = ApiRouter("eval-bindings")

_NAME = {"type": "string", "pattern": service.NAME}
BINDING: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "workload": {"type": "string"},
        "prompt": {"type": "string"},
        "dataset": {"type": "string"},
        "requirement": {"type": "string"},
        "created_at": {"type": "number"},
        "created_by": {"type": ["string", "null"]},
    },
}
_TARGET = {"workload": nullable({"type": "string", "minLength": 1, "maxLength": 64}), "prompt": _NAME, "dataset": _NAME}
BIND_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["prompt", "dataset"],
    "additionalProperties": False,
    "properties": {**_TARGET, "requirement": {"type": "string", "maxLength": 64, "pattern": REQUIREMENT_PATTERN}},
}
UNBIND_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["prompt", "dataset"],
    "additionalProperties": False,
    "properties": _TARGET,
}


def _workload(body: dict[str, Any], actor: Actor) -> str:
    workload = target_workload(body, actor, may_share=False)
    if workload is None:  # target_workload never answers None without may_share; typed for mypy
        raise InvalidRequest("give `workload`", param="workload")
    return workload


@router.route(
    "GET",
    "/api/eval-bindings",
    summary="The datasets bound to a workload's prompts, with their gate requirement",
    params=[WORKLOAD_PARAM, QueryParam("prompt", "only this prompt's bindings", max_length=128)],
    response=listing(BINDING),
)
async def get_bindings(request: web.Request) -> web.StreamResponse:
    workload = view_of(request, "eval bindings")
    prompt = request.query.get("prompt") or None
    found = await asyncio.to_thread(service.bindings_of, request.app[STATE].engine, workload, prompt)
    return json_response({"object": "list", "data": [b.to_json() for b in found]})


@router.route(
    "POST",
    "/api/eval-bindings",
    summary="Bind a dataset to a prompt (a new version of the prompt runs it; the requirement gates labels)",
    role=Role.DEVELOPER,
    body=BIND_BODY,
    response=BINDING,
    status=201,
)
async def post_binding(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    actor = await actor_for(request)
    made = await asyncio.to_thread(
        service.bind,
        request.app[STATE].engine,
        actor,
        _workload(body, actor),
        str(body["prompt"]),
        str(body["dataset"]),
        body.get("requirement"),
    )
    return json_response(made.to_json(), status=201)


@router.route(
    "POST",
    "/api/eval-bindings/delete",
    summary="Unbind a dataset from a prompt",
    role=Role.DEVELOPER,
    body=UNBIND_BODY,
    response={"type": "object", "properties": {"deleted": {"type": "boolean"}}},
)
async def delete_binding(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    actor = await actor_for(request)
    engine = request.app[STATE].engine
    await asyncio.to_thread(service.unbind, engine, actor, _workload(body, actor), str(body["prompt"]),
                            str(body["dataset"]))  # fmt: skip
    return json_response({"deleted": True})
