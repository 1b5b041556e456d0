"""Step: price the call from provider-reported usage."""

from __future__ import annotations

from rungway.gateway.context import CallContext
from rungway.gateway.state import GatewayState


async def meter_cost(state: GatewayState, ctx: CallContext) -> None:
    if ctx.usage is None or ctx.route is None:
        return
    price = state.prices.get(ctx.route.name)
    if price is None:
        return
    ctx.cost_nano = price.cost_nano(ctx.usage)
    ctx.priced = True
