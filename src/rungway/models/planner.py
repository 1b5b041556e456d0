"""The models capability's answer to the gateway's routing door: resolve, admit, choose."""

from __future__ import annotations

from rungway.errors import NotFound
from rungway.gateway.context import CallContext
from rungway.gateway.routing import RoutePlan, single_plan
from rungway.gateway.slots import CallKey
from rungway.gateway.state import GatewayState
from rungway.models.ports import LifecycleGate, ModelResolver, Resolution, RouteChooser

__all__ = ["RESOLUTION", "ModelsPlanner"]

RESOLUTION = CallKey[Resolution]("models.resolution")
"""How the call's model name was resolved (for the request log, the span and the checks)."""


class ModelsPlanner:
    """Resolve the requested name for the workload, let the catalogue admit it, then route it."""

    def __init__(self, resolver: ModelResolver, lifecycle: LifecycleGate, chooser: RouteChooser) -> None:
        self.resolver = resolver
        self.lifecycle = lifecycle
        self.chooser = chooser

    def plan(self, state: GatewayState, ctx: CallContext) -> RoutePlan | None:
        requested = ctx.model_requested or ""
        resolution = self.resolver.resolve(ctx.key.workload if ctx.key is not None else None, requested)
        ctx.slots[RESOLUTION] = resolution
        if resolution.pinned_by == "pin":
            ctx.model_pinned = True
        elif resolution.floating:
            ctx.model_pinned = False  # served by the alias's snapshot of the day, which can move under the caller
        headers = self.lifecycle.admit(resolution.model, ctx.ts_start)
        if headers:
            ctx.answer_headers.update(headers)
        plan = self.chooser.choose(ctx, resolution.model)
        if plan is not None:
            return plan
        route = state.config.models.get(resolution.model)
        if route is None:
            raise NotFound(
                f"The model `{requested}` does not exist or you do not have access to it.", code="model_not_found"
            )
        return single_plan(route)
