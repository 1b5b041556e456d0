"""`GET /api/prompts-policy`: the review policy a workload's prompts follow, for tools that must respect it.

`rungway prompts import` carries labels from other tools; it moves the unprotected ones and leaves
each protected one as a request for review, so it must know which labels are protected before it
moves anything (moving a protected label under a policy of 0 approvals would succeed, silently).
The dashboard and CI scripts can show the same. A key reads its own workload's policy; an admin
names a workload (without one: the policy of shared prompts).
"""

from __future__ import annotations

from aiohttp import web

from rungway.api.auth import caller_of
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.errors import NotFound
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.prompts.config import PROMPTS_SECTION, PromptsConfig

__all__ = ["POLICY", "policy_router"]

policy_router = ApiRouter("prompts")

POLICY = {
    "type": "object",
    "required": ["workload", "protected_labels", "approvals_required"],
    "properties": {
        "workload": {"type": ["string", "null"], "description": "null: the policy of shared prompts"},
        "protected_labels": {"type": "array", "items": {"type": "string"}},
        "approvals_required": {"type": "integer", "minimum": 0},
    },
}


@policy_router.route(
    "GET",
    "/api/prompts-policy",
    summary="The review policy of a workload's prompts: protected labels and approvals required",
    params=[QueryParam("workload", "whose policy: an admin names a workload (default: the key's own)", max_length=64)],
    response=POLICY,
)
async def get_policy(request: web.Request) -> web.StreamResponse:
    caller = caller_of(request)
    asked = request.query.get("workload") or None
    if caller.role is not Role.ADMIN and asked is not None and asked != caller.workload:
        raise NotFound(f"no workload {asked!r} for this key", param="workload")
    workload = asked if caller.role is Role.ADMIN else caller.workload
    config: PromptsConfig = request.app[STATE].config.section(PROMPTS_SECTION)
    policy = config.policy_for(workload)
    return json_response(
        {
            "workload": workload,
            "protected_labels": sorted(policy.protected_labels),
            "approvals_required": policy.approvals_required,
        }
    )
