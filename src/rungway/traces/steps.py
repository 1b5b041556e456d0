"""The traces capability's pipeline step: the llm span of every call, built from its context.

`build_span` turns a finished call into a `PendingSpan`: the call's input messages, parameters,
output (tool calls included) and usage as GenAI-convention attributes, filtered by the workload's
content capture and capped (`tracing.max_attribute_chars`, `tracing.max_span_chars`). The event
loop only gathers references to the call's values; capping, redaction and serialisation, which
grow with the payload, run in the span writer's thread (`traces.content.PendingSpan`, written
through `SpanRecordCodec`). Headers are never read into a span, so API keys and Authorization
headers cannot be stored. `install.py` adds the step after the upstream call.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from rungway.domain.guard_hits import hits_text
from rungway.domain.span_kinds import SpanKind
from rungway.domain.workloads import ContentCapture
from rungway.gateway.context import CallContext
from rungway.gateway.routing import RoutePlan
from rungway.settings.config import ModelRoute
from rungway.store.record_files import RecordCodec
from rungway.traces import model as columns
from rungway.traces.content import ContentLimits, PendingSpan, SpanRecord
from rungway.traces.model import SpanRow, SpanSource, clean_text

# Request fields that are content or routing, not parameters of the generation.
_NOT_PARAMETERS = {"messages", "input", "model", "tools", "functions", "metadata", "user", "stream", "api_key"}


def _output_messages(output: dict[str, Any] | None) -> tuple[list[dict[str, Any]], list[str]]:
    messages, reasons = [], []
    for choice in (output or {}).get("choices") or ():
        message = dict(choice.get("message") or {})
        message["finish_reason"] = choice.get("finish_reason")
        messages.append(message)
        if choice.get("finish_reason"):
            reasons.append(choice["finish_reason"])
    return messages, reasons


def span_attributes(ctx: CallContext) -> dict[str, Any]:
    """The call as GenAI semantic-convention attributes (content included; capture applies later)."""
    body = ctx.body
    chat = ctx.chat
    a: dict[str, Any] = {
        "gen_ai.operation.name": "chat" if chat else ctx.endpoint,  # "embeddings", "moderations"
        "gen_ai.request.model": ctx.model_requested,
        "rungway.request_id": ctx.id,
        "rungway.stream": ctx.stream,
        "http.response.status_code": ctx.status,
    }
    if ctx.route is not None:
        a["gen_ai.provider.name"] = ctx.route.provider
        a["gen_ai.response.model"] = ctx.route.upstream_model
    for key, value in body.items():
        if key not in _NOT_PARAMETERS and value is not None:
            a[f"gen_ai.request.{key}"] = value
    if chat:
        a["gen_ai.input.messages"] = body.get("messages")
        if body.get("tools"):
            a["gen_ai.tool.definitions"] = body["tools"]
        messages, reasons = _output_messages(ctx.output)
        if messages:
            a["gen_ai.output.messages"] = messages
            a["gen_ai.response.finish_reasons"] = reasons
        if ctx.output is not None:
            if ctx.output.get("id"):
                a["gen_ai.response.id"] = ctx.output["id"]
            if ctx.output.get("model"):
                a["gen_ai.response.model"] = ctx.output["model"]
    elif "input" in body:
        a["gen_ai.embeddings.input"] = body["input"]
    if ctx.usage is not None:
        a["gen_ai.usage.input_tokens"] = ctx.usage.input
        a["gen_ai.usage.output_tokens"] = ctx.usage.output
        if ctx.usage.cached_input:
            a["gen_ai.usage.cached_input_tokens"] = ctx.usage.cached_input
    for key, value in (("rungway.ttft_ms", ctx.ttft_ms), ("rungway.upstream_ms", ctx.upstream_ms)):
        if value is not None:
            a[key] = round(value, 3)
    if ctx.prompt_name is not None:
        # OpenTelemetry's GenAI registry names the prompt (`gen_ai.prompt.name`) but not its version.
        a["gen_ai.prompt.name"] = ctx.prompt_name
        a["rungway.prompt.version"] = ctx.prompt_version
    plan, route = ctx.plan, ctx.route
    routed = plan is not None and (plan.rule is not None or len(ctx.attempts) > 1)
    if plan is not None and route is not None and (routed or route.name != ctx.model_requested):
        _route_attributes(a, ctx, plan, route)
    if ctx.cache is not None:  # answered from a cache: which layer, how similar, what the replayed call had cost
        a["rungway.cache.layer"] = ctx.cache
        a["rungway.cache.cost_saved_usd"] = ctx.cost_saved_nano / 1e9
        if ctx.cache_similarity is not None:
            a["rungway.cache.similarity"] = ctx.cache_similarity
    if ctx.guard_hits:  # rule, direction and action only: never the matched value
        a["rungway.guardrails.hits"] = hits_text(ctx.guard_hits)
        a["rungway.guardrails.actions"] = sorted({hit.action for hit in ctx.guard_hits})
    if ctx.error is not None:
        a["error.type"] = ctx.error.error_type
    return a


def _route_attributes(a: dict[str, Any], ctx: CallContext, plan: RoutePlan, route: ModelRoute) -> None:
    """How the call was routed, only when it was not the default (one try of the model's own entry):
    spans of calls nobody routed stay as lean as before."""
    a["rungway.route.deployment"] = route.name
    if plan.rule is not None:
        a["rungway.route.rule"] = plan.rule
    sent = sum(attempt.outcome != "skipped" for attempt in ctx.attempts)
    if sent != 1:
        a["rungway.route.attempts"] = sent
    if route.name != plan.deployments[0].name:
        a["rungway.route.failed_over"] = True


def build_span(ctx: CallContext, limits: ContentLimits) -> PendingSpan:
    """The call's span; its content is built later, off the event loop (`PendingSpan.ready`)."""
    end = time.time()
    capture = ctx.workload.content_capture if ctx.workload is not None else ContentCapture.FULL
    usage = ctx.usage
    session = ctx.session  # cleaned and bounded by the attribution step
    failed = ctx.error is not None or ctx.status >= 400
    model = clean_text(ctx.model_requested, columns.MODEL_CHARS)
    row = SpanRow(
        ctx.trace_id or "",
        ctx.span_id or "",
        ctx.parent_span_id,
        f"{'chat' if ctx.chat else ctx.endpoint} {model or ''}".strip(),
        SpanKind.LLM.value if ctx.chat else SpanKind.EMBEDDING.value,
        SpanSource.GATEWAY.value,
        ctx.ts_start,
        end,
        ctx.elapsed_ms(),
        "error" if failed else "ok",
        (ctx.error.message[:1000] if ctx.error is not None else f"HTTP {ctx.status}") if failed else None,
        ctx.key.workload if ctx.key is not None else "",
        clean_text(ctx.user, columns.USER_CHARS),
        clean_text(session, columns.SESSION_CHARS),
        orjson.dumps(ctx.tags).decode() if ctx.tags else "{}",
        "rungway-gateway",
        model,
        clean_text(ctx.route.provider, columns.PROVIDER_CHARS) if ctx.route is not None else None,
        usage.input if usage is not None else 0,
        usage.output if usage is not None else 0,
        ctx.cost_nano,
        b"",
    )
    return PendingSpan(row, span_attributes(ctx), capture, limits)


class SpanRecordCodec(RecordCodec[SpanRecord]):
    """Spill, quarantine and write-ahead lines for the span queue, whose gateway spans may still be
    `PendingSpan`s: their content is built here, in the writer's or the write-ahead thread."""

    def __init__(self) -> None:
        super().__init__(SpanRow, ("trace_id", "span_id"))

    def values(self, record: SpanRecord) -> tuple[Any, ...]:
        return super().values(record.ready() if isinstance(record, PendingSpan) else record)

    def encode(self, record: SpanRecord) -> bytes:
        return super().encode(record.ready() if isinstance(record, PendingSpan) else record)

    def record_id(self, record: SpanRecord) -> str:
        return super().record_id(record.row if isinstance(record, PendingSpan) else record)
