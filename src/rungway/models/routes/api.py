"""`GET /api/models/routes` (a workload's routing rules and every deployment) and
`POST /api/models/routes/explain` (which rule and plan a described call would get, without calling).

A key sees its own workload's rules; an admin names a workload or sees them all. Another
workload's name is the same 404 as a missing one.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from rungway.api.auth import Caller, caller_of
from rungway.api.bodies import json_object, nullable, text
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.errors import NotFound
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.gateway.state import GatewayState
from rungway.models.planner import ModelsPlanner
from rungway.models.routes.chooser import TableChooser
from rungway.models.routes.install import CHOOSER
from rungway.models.routes.views import explain, routes_json

__all__ = ["EXPLAIN", "EXPLAIN_BODY", "ROUTES", "router"]

router = ApiRouter("models")

_POLICY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "retries": {"type": "integer"},
        "backoff_s": {"type": "number"},
        "backoff_max_s": {"type": "number"},
        "retry_after_max_s": {"type": "number"},
        "attempt_timeout_s": {"type": ["number", "null"]},
        "total_timeout_s": {"type": ["number", "null"]},
    },
}
_DEPLOYMENT: dict[str, Any] = {
    "type": "object",
    "required": ["name", "serves", "provider", "upstream_model", "weight"],
    "properties": {
        "name": {"type": "string"},
        "serves": {"type": "string", "description": "the public model it serves"},
        "provider": {"type": "string"},
        "upstream_model": {"type": "string"},
        "weight": {"type": "number"},
        "price": {"type": ["object", "null"], "description": "USD per million tokens: input, output"},
    },
}
ROUTES: dict[str, Any] = {
    "type": "object",
    "required": ["defaults", "workloads", "models"],
    "properties": {
        "defaults": _POLICY,
        "workloads": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "workload": {"type": "string"},
                    "rules": {"type": "array", "items": {"type": "object"}},
                },
            },
        },
        "models": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"model": {"type": "string"}, "deployments": {"type": "array", "items": _DEPLOYMENT}},
            },
        },
    },
}
_TAG = text(200)
EXPLAIN_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["model"],
    "additionalProperties": False,
    "properties": {
        "model": text(200, "the model name the call asks for", min_length=1),
        "workload": nullable(text(64, "an admin names the workload (others: their own)")),
        "user": nullable(text(200, "the end user the call names")),
        "tags": {
            "type": "object",
            "maxProperties": 64,
            "additionalProperties": _TAG,
            "propertyNames": {"maxLength": 64},
            "description": "tags and metadata pairs the call carries",
        },
        "prompt_tokens": {"type": "integer", "minimum": 0, "maximum": 100_000_000},
        "max_tokens": nullable({"type": "integer", "minimum": 1, "maximum": 1_000_000}),
    },
}
EXPLAIN: dict[str, Any] = {
    "type": "object",
    "required": ["workload", "requested", "model", "rule", "strategy", "deployments", "policy"],
    "properties": {
        "workload": {"type": ["string", "null"]},
        "requested": {"type": "string"},
        "model": {"type": "string", "description": "after the workload's pin"},
        "rule": {"type": ["string", "null"], "description": "null: the model's default route"},
        "strategy": {"type": ["string", "null"]},
        "deployments": {"type": "array", "items": _DEPLOYMENT, "description": "in the order they would be tried"},
        "policy": {"anyOf": [_POLICY, {"type": "null"}]},
    },
}


def _chooser(state: GatewayState) -> TableChooser:
    chooser = state.slots.get(CHOOSER)
    if chooser is None:
        raise NotFound("routing is not installed on this server", code="not_found")
    return chooser


def _workload(caller: Caller, asked: str | None) -> str | None:
    """The workload asked about: a key's own; an admin's choice (None: all)."""
    if caller.role is Role.ADMIN:
        return asked
    if asked is not None and asked != caller.workload:
        raise NotFound(f"no workload {asked!r} for this key", param="workload")
    return caller.workload


@router.route(
    "GET",
    "/api/models/routes",
    summary="A workload's routing rules and every deployment of each public model",
    params=[
        QueryParam("workload", "whose rules: an admin names one (default: all); others see their own", max_length=64)
    ],
    response=ROUTES,
)
async def get_routes(request: web.Request) -> web.StreamResponse:
    caller = caller_of(request)
    state = request.app[STATE]
    chooser = _chooser(state)
    workload = _workload(caller, request.query.get("workload") or None)
    workloads = sorted(state.config.workloads) if workload is None else [workload]
    return json_response(routes_json(chooser, workloads, caller.role is Role.ADMIN))


@router.route(
    "POST",
    "/api/models/routes/explain",
    summary="Which routing rule and which deployments a described call would get (nothing is called)",
    body=EXPLAIN_BODY,
    response=EXPLAIN,
)
async def explain_route(request: web.Request) -> web.StreamResponse:
    caller = caller_of(request)
    state = request.app[STATE]
    chooser = _chooser(state)
    body = await json_object(request)
    workload = _workload(caller, body.get("workload"))
    planner = state.route_planner if isinstance(state.route_planner, ModelsPlanner) else None
    found = explain(
        chooser,
        planner,
        workload,
        str(body["model"]),
        user=body.get("user"),
        tags={str(k): str(v) for k, v in (body.get("tags") or {}).items()},
        prompt_tokens=int(body.get("prompt_tokens") or 0),
        max_tokens=body.get("max_tokens"),
    )
    if found.plan is None:
        raise NotFound(
            f"The model `{found.requested}` does not exist or you do not have access to it.",
            code="model_not_found",
            param="model",
        )
    return json_response(found.to_json(workload))
