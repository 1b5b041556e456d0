"""Steps: reserve a call's maximum cost on every budget that covers it, then settle its real cost.

Before the call, one atomic `reserve` holds `price.max_cost_nano(input bound, max output)` on all
covering budgets, or refuses with 429 `budget_exceeded` naming the budget and when it resets.
After the call (success or failure) `settle` releases the hold and adds the metered cost. As
long as no call costs more than its hold, spend never passes a hard limit, even with many calls
in flight and several replicas sharing Redis; what can pass it is bounded by the holds in flight.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from rungway.counters.base import BudgetSettle, BudgetUse
from rungway.domain.budgets import Budget
from rungway.domain.ids import new_id
from rungway.domain.pricing import usd
from rungway.errors import BudgetExceeded, Overloaded
from rungway.gateway.context import CallContext
from rungway.gateway.pipeline import PipelineExtension
from rungway.gateway.state import GatewayState
from rungway.services.alerts import AlertSettings, BudgetAlerts
from rungway.services.budget_book import BudgetBook, BudgetSettings, Period
from rungway.services.budgets import iso
from rungway.store.budgets import BudgetEvent, insert_events
from rungway.store.writer import BatchWriter

log = logging.getLogger("rungway.gateway.budgets")
RESERVATION = "budget_reservation"
SETTLE_RETRIES = 5


@dataclass(frozen=True, slots=True)
class BudgetRuntime:
    """What the budget steps and the management API share in `state.services["budgets"]`."""

    book: BudgetBook
    alerts: BudgetAlerts
    events: BatchWriter[BudgetEvent]
    settings: BudgetSettings


@dataclass(frozen=True, slots=True)
class Reservation:
    """The holds one call placed, to be settled after it."""

    covered: Sequence[tuple[Budget, Period]]
    amount: int
    ttl_s: int


def input_token_bound(body: dict[str, Any]) -> int:
    """An upper bound on prompt tokens: a BPE token covers at least one character, plus per-message framing."""
    chars = 0
    messages = body.get("messages") or ()
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):
            chars += sum(len(str(p.get("text", ""))) + 85 for p in content if isinstance(p, dict))
        for call in (message.get("tool_calls") or ()) if isinstance(message, dict) else ():
            chars += len(str(call))
    if body.get("tools"):
        chars += len(str(body["tools"]))
    value = body.get("input")
    if isinstance(value, str):
        chars += len(value)
    elif isinstance(value, list):
        chars += sum(len(v) if isinstance(v, str) else len(v) if isinstance(v, list) else 1 for v in value)
    return chars + 4 * len(messages) + 3


def output_token_cap(ctx: CallContext, default_cap: int) -> int:
    if ctx.endpoint != "chat.completions":
        return 0
    body = ctx.body
    cap = body.get("max_completion_tokens") or body.get("max_tokens")
    per_choice = cap if isinstance(cap, int) and cap > 0 else default_cap
    n = body.get("n")
    return per_choice * (n if isinstance(n, int) and n > 1 else 1)


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


def make_steps(runtime: BudgetRuntime) -> PipelineExtension:
    book, settings = runtime.book, runtime.settings

    def counter_failed(state: GatewayState, exc: Exception, what: str) -> None:
        fail_open = state.config.counters.fail_open
        state.metrics.counter_errors.labels(state.counters.name, "allowed" if fail_open else "refused").inc()
        log.warning("budget counters (%s) failed on %s: %s; failing %s", state.counters.name, what, exc,
                    "open" if fail_open else "closed")  # fmt: skip
        if not fail_open:
            raise Overloaded("Budget counters are unreachable and the gateway is set to fail closed.") from None

    async def reserve_budget(state: GatewayState, ctx: CallContext) -> None:
        key = ctx.key
        if key is None:
            return
        now = time.time()
        team = ctx.workload.team if ctx.workload is not None else None
        covered = book.covering(key.workload, ctx.user, team, key.id, now)
        if not covered:
            return
        price = state.prices.get(ctx.route.name) if ctx.route is not None else None
        amount = 0
        if price is not None:
            amount = price.max_cost_nano(
                input_token_bound(ctx.body), output_token_cap(ctx, settings.default_max_tokens)
            )
        ttl = max(p.ttl_s(now) for _, p in covered)
        uses = [BudgetUse(p.key, amount, b.amount_nano if b.hard else None, ttl) for b, p in covered]
        try:
            denied = await state.counters.reserve(uses)
        except Exception as exc:  # noqa: BLE001 - any backend failure is a fail-open/closed decision
            counter_failed(state, exc, "reserve")
            ctx.extras[RESERVATION] = Reservation(covered, 0, ttl)  # fail open: still add the real cost later
            return
        if denied is None:
            ctx.extras[RESERVATION] = Reservation(covered, amount, ttl)
            return
        budget, period = next((b, p) for b, p in covered if p.key == denied.use.key)
        error = _refusal(budget, period, denied.spent, denied.reserved, amount, now)
        runtime.events.offer(
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
                workload=key.workload,
                user_id=ctx.user,
                key_id=key.id,
                message=error.message,
            )
        )
        state.metrics.rate_limited.labels(f"budget {budget.name}").inc()
        raise error

    async def settle_budget(state: GatewayState, ctx: CallContext) -> None:
        held: Reservation | None = ctx.extras.pop(RESERVATION, None)
        if held is None:
            return
        settles = [BudgetSettle(p.key, held.amount, ctx.cost_nano, held.ttl_s) for _, p in held.covered]
        try:
            moves = await state.counters.settle(settles)
        except Exception as exc:  # noqa: BLE001 - retried in the background so the hold is not leaked
            state.metrics.counter_errors.labels(state.counters.name, "settle_failed").inc()
            log.warning("could not settle budgets for %s: %s; retrying in the background", ctx.id, exc)
            asyncio.get_running_loop().create_task(_settle_later(state, settles))
            return
        for (budget, period), (before, after) in zip(held.covered, moves, strict=True):
            crossed = [p for p, mark in budget.threshold_marks() if before < mark <= after]
            if crossed:
                await runtime.alerts.crossed(budget, crossed, after, (period.start, period.end))

    return PipelineExtension("budgets", before_call=[reserve_budget], after_call=[settle_budget])


async def _settle_later(state: GatewayState, settles: list[BudgetSettle]) -> None:
    delay = 0.5
    last: Exception | None = None
    for _ in range(SETTLE_RETRIES):
        await asyncio.sleep(delay)
        try:
            await state.counters.settle(settles)
            return
        except Exception as exc:  # noqa: BLE001 - each failure is counted; the last one is logged as lost
            state.metrics.counter_errors.labels(state.counters.name, "settle_failed").inc()
            last = exc
        delay *= 2
    log.error("gave up settling budgets %s: %s", [s.key for s in settles], last)


def install_budgets(app: web.Application, state: GatewayState) -> Sequence[PipelineExtension]:
    """Budgets: the in-memory book (seeded, refreshed), webhook alerts, the event writer, the two steps."""
    settings = BudgetSettings.from_config(state.config)
    rec = state.config.recorder
    events: BatchWriter[BudgetEvent] = BatchWriter(
        "budget_events",
        lambda batch: insert_events(state.engine, batch),
        max_queue=rec.queue_size,
        batch_size=rec.batch_size,
        flush_interval_s=rec.flush_interval_ms / 1000,
    )
    state.writers.append(events)
    alerts = BudgetAlerts(AlertSettings.from_config(state.config), state.counters, events)

    def seed_failed(outcome: str) -> None:
        state.metrics.counter_errors.labels(state.counters.name, outcome).inc()

    book = BudgetBook(state.engine, state.counters, alerts, settings.refresh_s, on_error=seed_failed)
    runtime = BudgetRuntime(book, alerts, events, settings)
    state.services["budgets"] = runtime

    async def on_startup(_app: web.Application) -> None:
        await book.start()

    async def on_cleanup(_app: web.Application) -> None:
        await book.stop()
        await alerts.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return [make_steps(runtime)]
