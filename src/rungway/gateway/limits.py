"""Steps: requests- and tokens-per-minute limits per key and per workload, with the budget holds.

Before the call, one atomic `Counters.admit` adds 1 request and the estimated prompt tokens to
every limit that applies and places the holds of every `BudgetHolder` (the budgets capability),
all or nothing: one round trip on Redis. After the call, one `Counters.finish` settles the holds
with the real cost and corrects the token counters by the real usage. A counter backend failure
is failed open or closed as configured, and counted; failed settles are retried in the background.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import replace

from rungway.counters.base import BudgetSettle, BudgetUse, Denied, WindowUse
from rungway.domain.usage import prompt_tokens
from rungway.errors import Overloaded, RateLimited
from rungway.gateway.context import CallContext
from rungway.gateway.state import GatewayState

log = logging.getLogger("rungway.gateway.limits")
MINUTE = 60
SETTLE_RETRIES = 5
_RETRIES: set[asyncio.Task[None]] = set()  # background settle retries, referenced until done


def _windows(state: GatewayState, ctx: CallContext, tokens: int) -> tuple[list[WindowUse], list[WindowUse]]:
    """Every limit that applies to the call, and those of them that count tokens (corrected after the call)."""
    uses: list[WindowUse] = []
    token_uses: list[WindowUse] = []
    key, workload = ctx.key, ctx.workload
    if key is not None:
        rpm = key.rpm_limit or state.config.limits.key_rpm
        tpm = key.tpm_limit or state.config.limits.key_tpm
        if rpm:
            uses.append(WindowUse(f"rpm:key:{key.id}", rpm, MINUTE, 1, "key requests per minute"))
        if tpm:
            token_uses.append(WindowUse(f"tpm:key:{key.id}", tpm, MINUTE, tokens, "key tokens per minute"))
    if workload is not None:
        if workload.rpm_limit:
            uses.append(
                WindowUse(f"rpm:wl:{workload.name}", workload.rpm_limit, MINUTE, 1, "workload requests per minute")
            )
        if workload.tpm_limit:
            label = "workload tokens per minute"
            token_uses.append(WindowUse(f"tpm:wl:{workload.name}", workload.tpm_limit, MINUTE, tokens, label))
    if token_uses:
        uses += token_uses
    return uses, token_uses


async def enforce_rate_limits(state: GatewayState, ctx: CallContext) -> None:
    """Admission, one counters round trip: every rate limit and every budget hold, all or nothing.

    A budget refusal leaves no rate-limit count behind, a rate-limit refusal leaves no hold; a
    backend failure is failed open (the real cost is still added after the call) or closed."""
    ctx.estimated_input_tokens = prompt_tokens(ctx.body)
    windows, token_windows = _windows(state, ctx, ctx.estimated_input_tokens)
    now = time.time()
    holds: list[tuple[int, Sequence[BudgetUse]]] = []
    budgets: list[BudgetUse] = []
    for index, holder in enumerate(state.budget_holders):
        uses = holder.holds(state, ctx, now)
        if uses:
            holds.append((index, uses))
            budgets += uses
    if not windows and not budgets:
        return
    try:
        denied = await state.counters.admit(windows, budgets)  # no `now`: concurrent calls may share a batch
    except Exception as exc:  # noqa: BLE001 - any backend failure is a fail-open/closed decision
        _admission_failed(state, exc)
        ctx.budget_holds = [(index, [replace(u, amount=0) for u in uses]) for index, uses in holds]
        return
    if denied is None:
        ctx.token_limits = token_windows
        ctx.budget_holds = holds
        return
    if isinstance(denied, Denied):
        state.metrics.rate_limited.labels(denied.use.label).inc()
        raise RateLimited(
            f"Rate limit reached: {denied.use.label} is {denied.use.limit}; retry in {denied.retry_after_s:.1f}s.",
            retry_after=denied.retry_after_s,
        )
    owner = next(index for index, uses in holds if any(u is denied.use for u in uses))
    raise state.budget_holders[owner].refused(state, ctx, denied, now)


def _admission_failed(state: GatewayState, exc: Exception) -> None:
    """Count and log a counters backend failure; raise 503 when the gateway fails closed."""
    fail_open = state.config.counters.fail_open
    state.metrics.counter_errors.labels(state.counters.name, "allowed" if fail_open else "refused").inc()
    log.warning("counter backend %s failed (%s); failing %s", state.counters.name, exc,
                "open" if fail_open else "closed")  # fmt: skip
    if not fail_open:
        raise Overloaded(
            "Rate-limit and budget counters are unreachable and the gateway is set to fail closed."
        ) from None


async def settle_token_limits(state: GatewayState, ctx: CallContext) -> None:
    """After the call, one counters round trip: settle the budget holds with the real cost, and replace
    the token estimate by the real token count on every TPM counter this call touched."""
    corrections: list[WindowUse] = []
    if ctx.token_limits:
        actual = ctx.usage.total if ctx.usage is not None else 0
        delta = actual - ctx.estimated_input_tokens
        if delta:
            corrections = [WindowUse(u.key, u.limit, u.window_s, delta, u.label) for u in ctx.token_limits]
    holds, ctx.budget_holds = ctx.budget_holds, ()
    settles = [BudgetSettle(u.key, u.amount, ctx.cost_nano, u.ttl_s, u.seed) for _, uses in holds for u in uses]
    if not corrections and not settles:
        return
    try:
        moves = await state.counters.finish(settles, corrections)
    except Exception as exc:  # noqa: BLE001 - holds are retried in the background; TPM self-corrects next window
        state.metrics.counter_errors.labels(state.counters.name, "settle_failed").inc()
        log.warning("could not settle counters for %s: %s; retrying budget settles in the background", ctx.id, exc)
        if settles:
            task = asyncio.get_running_loop().create_task(_settle_later(state, settles, holds))
            _RETRIES.add(task)
            task.add_done_callback(_RETRIES.discard)
        return
    start = 0
    for index, uses in holds:
        await state.budget_holders[index].settled(state, ctx, uses, moves[start : start + len(uses)])
        start += len(uses)


def settles_pending() -> int:
    """Budget settles still being retried on this event loop (reconciling meanwhile would count them twice)."""
    loop = asyncio.get_running_loop()
    return sum(1 for task in _RETRIES if task.get_loop() is loop and not task.done())


async def _settle_later(
    state: GatewayState, settles: list[BudgetSettle], holds: Sequence[tuple[int, Sequence[BudgetUse]]]
) -> None:
    """Retry settling budget holds (with backoff) so that a backend hiccup does not leak them; past the
    retries, the holders are told (their reconciliation releases the holds and recovers the spend)."""
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
    log.error("gave up settling budgets %s: %s; left to reconciliation", [s.key for s in settles], last)
    for index, uses in holds:
        state.budget_holders[index].unsettled(uses)
