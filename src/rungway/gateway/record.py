"""Step: log the call (every call, success or failure) through the bounded queue, and count it."""

from __future__ import annotations

import time

from rungway.domain.guard_hits import hits_text
from rungway.domain.pricing import usd
from rungway.domain.records import RequestRecord
from rungway.gateway.context import CallContext
from rungway.gateway.routing import Attempt
from rungway.gateway.state import GatewayState


def _pinned(ctx: CallContext) -> bool | None:
    if ctx.model_pinned is not None:  # the planner resolved the name through a workload's pin (or refused one)
        return ctx.model_pinned if ctx.route is not None else None
    return ctx.route.pins if ctx.route is not None else None


def build_record(ctx: CallContext) -> RequestRecord:
    latency = ctx.elapsed_ms()
    usage = ctx.usage
    error = ctx.error
    route = ctx.route
    plan = ctx.plan
    return RequestRecord(
        id=ctx.id,
        ts_start=ctx.ts_start,
        ts_end=time.time(),
        workload=ctx.key.workload if ctx.key is not None else None,
        key_id=ctx.key.id if ctx.key is not None else None,
        user=ctx.user,
        team=ctx.workload.team if ctx.workload is not None else None,
        tags=ctx.tags,
        endpoint=ctx.endpoint,
        model_requested=ctx.model_requested,
        model_resolved=ctx.route.upstream_model if ctx.route is not None else None,
        provider=ctx.route.provider if ctx.route is not None else None,
        provider_account=ctx.provider.account if ctx.provider is not None else None,
        status=ctx.status,
        error_type=error.error_type if error is not None else None,
        error_message=error.message[:1000] if error is not None else None,
        stream=ctx.stream,
        latency_ms=latency,
        ttft_ms=ctx.ttft_ms,
        upstream_ms=ctx.upstream_ms,
        overhead_ms=(latency - ctx.upstream_ms) if ctx.upstream_ms is not None else None,
        tokens_in=usage.input if usage is not None else 0,
        tokens_out=usage.output if usage is not None else 0,
        tokens_cached=usage.cached_input if usage is not None else 0,
        cost_nano=ctx.cost_nano,
        priced=ctx.priced,
        trace_id=ctx.trace_id,
        span_id=ctx.span_id,
        usage_anomaly=usage.anomaly if usage is not None else None,
        model_pinned=_pinned(ctx),
        user_from_request=ctx.user_from_request if ctx.user is not None else None,
        prompt_name=ctx.prompt_name,
        prompt_version=ctx.prompt_version,
        deployment=route.name if route is not None else None,
        route_rule=plan.rule if plan is not None else None,
        attempts=tries_sent(ctx.attempts),
        failed_over=plan is not None and route is not None and route.name != plan.deployments[0].name,
        guardrails=hits_text(ctx.guard_hits) if ctx.guard_hits else None,
        cache=ctx.cache,
        cache_similarity=ctx.cache_similarity,
        cost_saved_nano=ctx.cost_saved_nano,
    )


def tries_sent(attempts: list[Attempt]) -> int:
    """The tries sent upstream (a deployment skipped as unavailable is not one): the request log's `attempts`."""
    if len(attempts) == 1:  # the common case, without a generator
        return 0 if attempts[0].outcome == "skipped" else 1
    return sum(a.outcome != "skipped" for a in attempts)


async def record_call(state: GatewayState, ctx: CallContext) -> None:
    record = build_record(ctx)
    ctx.record = record
    state.request_writer.offer(record)
    # Labels come from configuration only: an unknown model name a caller typed must not add a series.
    series = state.metrics.series(ctx.endpoint, record.workload or "", ctx.route.name if ctx.route else "")
    series.requests(record.status).inc()
    series.latency().observe(record.latency_ms / 1000)
    for attempt in ctx.attempts:  # deployments are configured names; outcomes our own words
        state.metrics.count_attempt(attempt.deployment.name, attempt.outcome)
    if record.overhead_ms is not None:
        series.overhead().observe(record.overhead_ms / 1000)
    if record.ttft_ms is not None:
        series.ttft().observe(record.ttft_ms / 1000)
    if record.error_type is not None:
        series.errors(record.error_type).inc()
    if record.tokens_in or record.tokens_out:
        series.tokens("input").inc(record.tokens_in)
        series.tokens("output").inc(record.tokens_out)
    if record.cost_nano:
        series.cost().inc(usd(record.cost_nano))
    for hit in ctx.guard_hits:  # detectors are configured names; directions and actions our own words
        state.metrics.guardrail_hits.labels(hit.detector, hit.direction, hit.action).inc()
