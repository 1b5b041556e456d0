"""Step: resolve the public model name to a provider and an upstream model id."""

from __future__ import annotations

from rungway.errors import NotFound, PermissionDenied
from rungway.gateway.context import CallContext
from rungway.gateway.state import GatewayState


async def resolve_route(state: GatewayState, ctx: CallContext) -> None:
    name = ctx.model_requested or ""
    route = state.config.models.get(name)
    if route is None:
        raise NotFound(f"The model `{name}` does not exist or you do not have access to it.", code="model_not_found")
    if ctx.key is not None and not ctx.key.may_use(name):
        raise PermissionDenied(
            f"This API key may not use the model `{name}`; it may use: {', '.join(ctx.key.allowed_models)}.",
            code="model_not_allowed",
        )
    ctx.route = route
    ctx.provider = state.providers[route.provider]
    ctx.body["model"] = route.upstream_model
