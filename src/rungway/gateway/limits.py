"""Step: requests-per-minute and tokens-per-minute limits, per key and per workload.

Before the call, one atomic `acquire` adds 1 request and the estimated prompt tokens to every
limit that applies; after the call, `settle_token_limits` corrects the token counters by the
real usage. A counter backend failure is failed open or closed as configured, and counted.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from rungway.counters.base import WindowUse
from rungway.errors import Overloaded, RateLimited
from rungway.gateway.context import CallContext
from rungway.gateway.state import GatewayState

log = logging.getLogger("rungway.gateway.limits")
MINUTE = 60


def estimate_input_tokens(ctx: CallContext) -> int:
    """About four characters per token over the text of the messages (or embedding input)."""
    body = ctx.body
    chars = 0
    for message in body.get("messages") or ():
        content = message.get("content")
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):
            chars += sum(len(str(p.get("text", ""))) for p in content if isinstance(p, dict))
    value = body.get("input")
    if isinstance(value, str):
        chars += len(value)
    elif isinstance(value, list):
        chars += sum(len(v) if isinstance(v, str) else 4 for v in value)
    return chars // 4 + 1


def _uses(state: GatewayState, ctx: CallContext, tokens: int) -> list[WindowUse]:
    uses: list[WindowUse] = []
    key, workload = ctx.key, ctx.workload
    if key is not None:
        rpm = key.rpm_limit or state.config.limits.key_rpm
        tpm = key.tpm_limit or state.config.limits.key_tpm
        if rpm:
            uses.append(WindowUse(f"rpm:key:{key.id}", rpm, MINUTE, 1, "key requests per minute"))
        if tpm:
            uses.append(WindowUse(f"tpm:key:{key.id}", tpm, MINUTE, tokens, "key tokens per minute"))
    if workload is not None:
        if workload.rpm_limit:
            uses.append(
                WindowUse(f"rpm:wl:{workload.name}", workload.rpm_limit, MINUTE, 1, "workload requests per minute")
            )
        if workload.tpm_limit:
            uses.append(
                WindowUse(
                    f"tpm:wl:{workload.name}",
                    workload.tpm_limit,
                    MINUTE,
                    tokens,
                    "workload tokens per minute",
                )
            )
    return uses


async def enforce_rate_limits(state: GatewayState, ctx: CallContext) -> None:
    ctx.estimated_input_tokens = estimate_input_tokens(ctx)
    uses = _uses(state, ctx, ctx.estimated_input_tokens)
    if not uses:
        return
    try:
        denied = await state.counters.acquire(uses)
    except Exception as exc:  # noqa: BLE001 - any backend failure is a fail-open/closed decision
        fail_open = state.config.counters.fail_open
        state.metrics.counter_errors.labels(state.counters.name, "allowed" if fail_open else "refused").inc()
        log.warning(
            "counter backend %s failed (%s); failing %s",
            state.counters.name,
            exc,
            "open" if fail_open else "closed",
        )
        if fail_open:
            return
        raise Overloaded("Rate-limit counters are unreachable and the gateway is set to fail closed.") from None
    if denied is not None:
        state.metrics.rate_limited.labels(denied.use.label).inc()
        raise RateLimited(
            f"Rate limit reached: {denied.use.label} is {denied.use.limit}; retry in {denied.retry_after_s:.1f}s.",
            retry_after=denied.retry_after_s,
        )
    ctx.token_limits = [u for u in uses if u.key.startswith("tpm:")]


async def settle_token_limits(state: GatewayState, ctx: CallContext) -> None:
    """Replace the estimate by the real token count on every TPM counter this call touched."""
    if not ctx.token_limits:
        return
    actual = ctx.usage.total if ctx.usage is not None else 0
    delta = actual - ctx.estimated_input_tokens
    if delta == 0:
        return
    try:
        await state.counters.add_many([replace(use, amount=delta) for use in ctx.token_limits])
    except Exception as exc:  # noqa: BLE001 - settling is best effort; the next window self-corrects
        state.metrics.counter_errors.labels(state.counters.name, "settle_failed").inc()
        log.warning("could not settle token counters: %s", exc)
