"""Traces in the gateway: the llm span of every call, and the OTLP/HTTP ingest endpoint.

`install_traces` is the capability's installer: it reads `tracing:`, creates the span writer
(and the export writer when `tracing.export` is set), mounts `POST /v1/traces`, schedules the
retention purge, and adds `record_span` after the upstream call. The span carries the call's
input messages, parameters, output (tool calls included) and usage as GenAI-convention
attributes, filtered by the workload's content capture and capped (`tracing.max_attribute_chars`,
`tracing.max_span_chars`). The event loop only gathers references to the call's values; capping,
redaction and serialisation, which grow with the payload, run in the span writer's thread
(`telemetry.content.PendingSpan`). Headers are never read into a span, so API keys and
Authorization headers cannot be stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson

from rungway.capability import Host, Installed
from rungway.domain import spans as columns
from rungway.domain.pricing import Price
from rungway.domain.spans import SpanKind, SpanRow, SpanSource, clean_text
from rungway.domain.workloads import ContentCapture
from rungway.gateway.context import CallContext
from rungway.gateway.pipeline import PipelineExtension
from rungway.gateway.state import GatewayState
from rungway.store.record_files import RecordCodec
from rungway.store.traces import insert_spans, purge_expired
from rungway.store.writer import BatchWriter
from rungway.telemetry.admission import DrainClock, SpanFanout
from rungway.telemetry.config import TRACING_SECTION, TracingConfig
from rungway.telemetry.content import ContentLimits, PendingSpan, SpanRecord
from rungway.telemetry.exporter import OtlpHttpExporter
from rungway.telemetry.receiver import IngestPrincipal, OtlpReceiver

log = logging.getLogger("rungway.gateway.traces")

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
    chat = ctx.endpoint == "chat.completions"
    a: dict[str, Any] = {
        "gen_ai.operation.name": "chat" if chat else "embeddings",
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
    if ctx.error is not None:
        a["error.type"] = ctx.error.error_type
    return a


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
        f"{'chat' if ctx.endpoint == 'chat.completions' else 'embeddings'} {model or ''}".strip(),
        SpanKind.LLM.value if ctx.endpoint == "chat.completions" else SpanKind.EMBEDDING.value,
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


def _price_lookup(state: GatewayState) -> Any:
    def price_of(model: str) -> Price | None:
        if model in state.prices:
            return state.prices[model]
        return state.config.prices.price_of(model)

    return price_of


def _writers(state: GatewayState, cfg: TracingConfig) -> tuple[SpanFanout, list[BatchWriter[SpanRecord]]]:
    """The span fan-out and its writers: the store's, and the OTLP exporter's when `tracing.export` is set."""
    engine = state.engine
    clock = DrainClock(lambda rows: insert_spans(engine, rows))
    store: BatchWriter[SpanRecord] = BatchWriter(
        "spans",
        clock,
        max_queue=cfg.queue_size,
        batch_size=cfg.batch_size,
        flush_interval_s=cfg.flush_interval_ms / 1000,
        codec=SpanRecordCodec(),
    )
    writers = [store]
    export: BatchWriter[SpanRecord] | None = None
    if cfg.export is not None:
        export = BatchWriter(
            "trace-export",
            OtlpHttpExporter(cfg.export),
            max_queue=cfg.export.queue_size,
            batch_size=cfg.export.batch_size,
            flush_interval_s=cfg.export.flush_interval_ms / 1000,
        )
        writers.append(export)
    return SpanFanout(store, export, clock, max_wait_s=cfg.max_queue_wait_ms / 1000), writers


async def _purge_forever(state: GatewayState, cfg: TracingConfig) -> None:
    while True:
        await asyncio.sleep(cfg.purge_interval_s)
        try:
            await asyncio.to_thread(purge_expired, state.engine, cfg.retention_days)
        except Exception:  # a failed purge is logged and retried next interval; serving goes on
            log.exception("trace retention purge failed")


def install_traces(host: Host) -> Installed:
    """The span writer (and export writer), `POST /v1/traces`, the retention purge, and `record_span`."""
    state = host.state
    cfg = state.config.section(TRACING_SECTION)
    fanout, writers = _writers(state, cfg)

    async def authenticate(secret: str) -> IngestPrincipal | None:
        key = await state.directory.key_for(secret)
        if key is None or not key.is_active(time.time()):
            return None
        workload = state.directory.workload(key.workload)
        return IngestPrincipal(key.workload, workload.content_capture if workload else ContentCapture.FULL)

    receiver = OtlpReceiver(
        authenticate, fanout, _price_lookup(state), max_body_bytes=state.config.server.max_body_bytes, limits=cfg.limits
    )
    host.app.router.add_post("/v1/traces", receiver.handle)

    async def stop_receiver() -> None:
        await asyncio.to_thread(receiver.close)

    tasks: list[asyncio.Task[None]] = []

    async def start_purge() -> None:
        if cfg.purge_interval_s > 0:
            tasks.append(asyncio.get_running_loop().create_task(_purge_forever(state, cfg)))

    async def stop_purge() -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def record_span(_state: GatewayState, ctx: CallContext) -> None:
        if ctx.trace_id and ctx.span_id and ctx.endpoint in ("chat.completions", "embeddings"):
            fanout.offer_many((build_span(ctx, cfg.limits),))

    return Installed(
        pipeline=[PipelineExtension("traces", after_call=[record_span])],
        writers=writers,
        on_startup=[start_purge],
        on_cleanup=[stop_purge, stop_receiver],
    )
