"""Budget holds: a call's maximum cost held on every budget that covers it, then its real cost settled.

Before the call, `BudgetHolds.holds` asks for `price.max_cost_nano(input bound, max output)` on all
covering budgets; the rate-limit step places these holds together with the rate limits in one
atomic `Counters.admit` (one Redis round trip), or the call is refused with 429 `budget_exceeded`
naming the budget and when it resets. After the call (success or failure) the settle step releases
the holds and adds the metered cost in one `Counters.finish`, and `settled` sends threshold alerts.
As long as no call costs more than its hold, spend never passes a hard limit, even with many calls
in flight and several replicas sharing Redis; what can pass it is bounded by the holds in flight.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from rungway.budgets.alerts import BudgetAlerts
from rungway.budgets.book import BudgetBook, BudgetSettings, Cover, Period
from rungway.budgets.model import Budget
from rungway.budgets.service import iso
from rungway.budgets.store import BudgetEvent
from rungway.counters.base import BudgetDenied, BudgetUse
from rungway.domain.ids import new_id
from rungway.domain.pricing import usd
from rungway.domain.usage import prompt_tokens
from rungway.errors import BudgetExceeded, RungwayError
from rungway.gateway.context import CallContext
from rungway.gateway.meter import output_token_cap
from rungway.gateway.slots import CallKey, StateKey
from rungway.gateway.state import GatewayState
from rungway.store.writer import BatchWriter

log = logging.getLogger("rungway.gateway.budgets")


@dataclass(frozen=True, slots=True)
class BudgetRuntime:
    """What the budget steps and the management API share (`state.slots[BUDGETS]`)."""

    book: BudgetBook
    alerts: BudgetAlerts
    events: BatchWriter[BudgetEvent]
    settings: BudgetSettings


BUDGETS = StateKey[BudgetRuntime]("budgets")
"""The budgets' runtime, present when this server enforces budgets."""
RESERVATION = CallKey[Cover]("budgets.reservation")
"""The budgets covering this call, from its holds until they are refused or settled."""


def _dollars(nano: int) -> str:
    value = usd(nano)
    return f"${value:,.2f}" if value >= 1 or value == 0 else f"${value:.6f}"


def _refusal(budget: Budget, period: Period, spent: int, reserved: int, amount: int, now: float) -> BudgetExceeded:
    resets = iso(period.end)
    when = f"It resets at {resets}." if budget.period.value != "fixed" else f"Its window ends at {resets}."
    message = (
        f"Budget '{budget.name}' ({budget.target}, {_dollars(budget.amount_nano)} {budget.period.value}) "
        f"has no room for this call: {_dollars(spent)} spent and {_dollars(reserved)} held by calls in flight; "
        f"this call may cost up to {_dollars(amount)}. {when if resets else 'It does not reset.'}"
    )
    return BudgetExceeded(message, retry_after=min(period.end - now, 366 * 86400))


class BudgetHolds:
    """The budgets' `BudgetHolder`: the holds ride in the rate-limit steps' single round trips."""

    def __init__(self, runtime: BudgetRuntime) -> None:
        self.runtime = runtime

    def holds(self, state: GatewayState, ctx: CallContext, now: float) -> Sequence[BudgetUse]:
        key = ctx.key
        if key is None:
            return ()
        team = ctx.workload.team if ctx.workload is not None else None
        cover = self.runtime.book.cover(key.workload, ctx.user, team, key.id, now)
        if cover is None:
            return ()
        price = state.prices.get(ctx.route.name) if ctx.route is not None else None
        amount = 0
        if price is not None:
            output_cap = output_token_cap(ctx, self.runtime.settings.default_max_tokens)
            amount = price.max_cost_nano(prompt_tokens(ctx.body, at_most=True), output_cap)
        ctx.slots[RESERVATION] = cover
        known = self.runtime.book.known_spend
        return [BudgetUse(key, amount, limit, cover.ttl_s, known(key)) for key, limit in cover.holds]

    def refused(self, state: GatewayState, ctx: CallContext, denied: BudgetDenied, now: float) -> RungwayError:
        cover = ctx.slots.take(RESERVATION)
        budget, period = next((b, p) for b, p in cover.covered if p.key == denied.use.key)
        amount = denied.use.amount
        error = _refusal(budget, period, denied.spent, denied.reserved, amount, now)
        key = ctx.key
        self.runtime.events.offer(
            BudgetEvent(
                id=new_id("bev_"),
                budget_id=budget.id,
                ts=now,
                kind="blocked",
                period_start=period.start,
                spent_nano=denied.spent,
                reserved_nano=denied.reserved,
                requested_nano=amount,
                limit_nano=budget.amount_nano,
                request_id=ctx.id,
                workload=key.workload if key is not None else None,
                user_id=ctx.user,
                key_id=key.id if key is not None else None,
                message=error.message,
            )
        )
        state.metrics.rate_limited.labels(f"budget {budget.name}").inc()
        return error

    async def settled(
        self, state: GatewayState, ctx: CallContext, holds: Sequence[BudgetUse], moves: Sequence[tuple[int, int]]
    ) -> None:
        cover = ctx.slots.take(RESERVATION)
        book = self.runtime.book
        for i, (before, after) in enumerate(moves):
            book.saw_spend(holds[i].key, after)
            lowest, highest = cover.mark_span[i]
            if before < highest and lowest <= after:  # else no threshold lies in (before, after]
                budget, period = cover.covered[i]
                crossed = [p for p, mark in cover.marks[i] if before < mark <= after]
                if crossed:
                    await self.runtime.alerts.crossed(budget, crossed, after, (period.start, period.end))

    def unsettled(self, holds: Sequence[BudgetUse]) -> None:
        for hold in holds:
            self.runtime.book.settle_lost(hold.key, hold.amount)
