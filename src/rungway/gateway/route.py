"""Step: decide where the call may go: a `RoutePlan` from the installed planner, else the `models:` entry.

The first deployment of the plan becomes the call's route (what rate limits, budget holds and
the meter read); the call step (`gateway/upstream.py`) tries the plan's deployments in order.
"""

from __future__ import annotations

from rungway.errors import NotFound, PermissionDenied
from rungway.gateway.context import CallContext
from rungway.gateway.routing import single_plan
from rungway.gateway.state import GatewayState


async def resolve_route(state: GatewayState, ctx: CallContext) -> None:
    name = ctx.model_requested or ""
    planner = state.route_planner
    plan = planner.plan(state, ctx) if planner is not None else None
    if plan is None:
        route = state.config.models.get(name)
        if route is None:
            raise NotFound(
                f"The model `{name}` does not exist or you do not have access to it.", code="model_not_found"
            )
        plan = single_plan(route)
    if ctx.key is not None and not ctx.key.may_use(name):
        raise PermissionDenied(
            f"This API key may not use the model `{name}`; it may use: {', '.join(ctx.key.allowed_models)}.",
            code="model_not_allowed",
        )
    first = plan.deployments[0]
    ctx.plan = plan
    ctx.route = first
    ctx.provider = state.providers[first.provider]
    ctx.body["model"] = first.upstream_model
