"""`GET /api/models/health`: every deployment's circuit state, recent calls, failure rate and latency,
from this server's memory (the health book). A workload's key sees the deployments its own calls tried
(a deployment only another workload uses is not its business); the admin sees every one."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiohttp import web

from rungway.api.auth import caller_of
from rungway.api.registry import ApiRouter
from rungway.domain.keys import Role
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.models.health.runtime import HEALTH
from rungway.models.health.view import DeploymentHealth

__all__ = ["HEALTH_ROW", "health_json", "router"]

router = ApiRouter("models")

HEALTH_ROW: dict[str, Any] = {
    "type": "object",
    "properties": {
        "deployment": {"type": "string"},
        "state": {"type": "string", "enum": ["closed", "open", "half-open"]},
        "calls": {"type": "integer", "description": "tries that ended in the breaker's window"},
        "failures": {"type": "integer"},
        "timeouts": {"type": "integer"},
        "slow": {"type": "integer"},
        "failure_rate": {"type": "number"},
        "latency_ewma_ms": {"type": ["number", "null"]},
        "latency_p50_ms": {"type": ["number", "null"]},
        "open_for_s": {"type": ["number", "null"], "description": "seconds left of an open circuit's cooldown"},
        "by_outcome": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}


def health_json(row: DeploymentHealth) -> dict[str, Any]:
    out = asdict(row)
    out["by_outcome"] = dict(row.by_outcome)
    return out


@router.route(
    "GET",
    "/api/models/health",
    summary="Deployment health from live traffic: circuit state, calls, failures, latency (this server)",
    role=Role.VIEWER,
    response={"type": "object", "properties": {"deployments": {"type": "array", "items": HEALTH_ROW}}},
)
async def get_health(request: web.Request) -> web.StreamResponse:
    book = request.app[STATE].slots.get(HEALTH)
    caller = caller_of(request)
    rows = book.snapshot(None if caller.role is Role.ADMIN else caller.workload or "") if book is not None else []
    return json_response({"deployments": [health_json(r) for r in rows]})
