"""Step: price the call from provider-reported usage, bounded by what the call could have used.

The usage an upstream reports is not trusted blindly: a buggy or hostile one reported 10^17
tokens, which blocked a workload's budget for the month and broke every sum over the request log.
Each figure is capped at what the call could have used (`usage_ceiling`): its input by the
request's size (a byte-level BPE token covers at least one byte; non-text parts may use up to
`limits.max_call_tokens`), its output by its `max_completion_tokens`/`max_tokens` times `n`, or by
`limits.max_call_tokens`. A corrected usage keeps the reason (`Usage.anomaly`, stored on the
request record), is counted in `rungway_usage_anomalies_total{model}` and logged once per model.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from rungway.domain.usage import Usage
from rungway.gateway.context import CallContext
from rungway.gateway.state import GatewayState

log = logging.getLogger("rungway.gateway.meter")
MAX_CHOICES = 128  # OpenAI's own limit on `n`


def choices_of(body: dict[str, Any]) -> int:
    n = body.get("n")
    return min(n, MAX_CHOICES) if isinstance(n, int) and not isinstance(n, bool) and n > 1 else 1


def output_token_cap(ctx: CallContext, default_cap: int) -> int:
    """The output a call may produce: its own cap (or `default_cap`) per choice, times its choices."""
    if not ctx.chat:
        return 0
    body = ctx.body
    cap = body.get("max_completion_tokens") or body.get("max_tokens")
    per_choice = cap if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0 else default_cap
    return per_choice * choices_of(body)


def _has_non_text_part(body: dict[str, Any]) -> bool:
    for message in body.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list) and any(isinstance(p, dict) and p.get("type") != "text" for p in content):
            return True
    return False


def usage_ceiling(ctx: CallContext, max_call_tokens: int) -> tuple[int, int]:
    """(most input tokens, most output tokens) this call could have used."""
    body = ctx.body
    size = len(orjson.dumps(body))  # only computed for usage past the cheap check in `meter_cost`
    max_input = size + 8 * len(body.get("messages") or ()) + 64
    if _has_non_text_part(body):  # images, audio, files: their tokens are not in the request's size
        max_input += max_call_tokens
    max_output = 0
    if ctx.chat:
        cap = body.get("max_completion_tokens") or body.get("max_tokens")
        per_choice = cap if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0 else max_call_tokens
        max_output = min(per_choice, max_call_tokens) * choices_of(body)
    return max_input, max_output


def _bounded(state: GatewayState, ctx: CallContext, usage: Usage) -> Usage:
    """The usage capped at the call's ceiling; a corrected one is counted and logged (once per model)."""
    max_call_tokens = state.config.limits.max_call_tokens
    cheap_input = ctx.estimated_input_tokens * 4 + 64  # about the prompt's characters: most calls stop here
    cheap_output = output_token_cap(ctx, max_call_tokens) if ctx.chat else 0
    fits = usage.input <= cheap_input and usage.output <= cheap_output and usage.cached_input <= usage.input
    if fits and usage.anomaly is None:
        return usage
    bounded = usage.bounded(*usage_ceiling(ctx, max_call_tokens))
    if bounded.anomaly is not None:
        model = ctx.route.name if ctx.route is not None else ""
        state.metrics.usage_anomalies.labels(model).inc()
        if model not in state.metrics.usage_anomaly_logged:
            state.metrics.usage_anomaly_logged.add(model)
            log.warning(
                "upstream usage for model %s corrected (call %s): %s; now %d in / %d out "
                "(further corrections are counted in rungway_usage_anomalies_total only)",
                model, ctx.id, bounded.anomaly, bounded.input, bounded.output,
            )  # fmt: skip
    return bounded


async def meter_cost(state: GatewayState, ctx: CallContext) -> None:
    if ctx.side_cost_nano:  # a judge's tokens are the call's cost even when the call itself failed
        ctx.cost_nano += ctx.side_cost_nano
    if ctx.usage is None:
        return
    if ctx.replay is not None:  # a cache answered: no upstream call, nothing to pay (`cost_saved_nano` says more)
        ctx.priced = True
        return
    ctx.usage = _bounded(state, ctx, ctx.usage)
    if ctx.route is None:
        return
    price = state.prices.get(ctx.route.name)
    if price is None:
        return
    ctx.cost_nano = price.cost_nano(ctx.usage) + ctx.side_cost_nano
    ctx.priced = True
