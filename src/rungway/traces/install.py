"""The traces capability's one door: `CAPABILITY`, and `install_traces`, which wires it into a server.

`install_traces` reads `tracing:`, creates the span writer (and the export writer when
`tracing.export` is set), mounts the OTLP/HTTP ingest endpoint `POST /v1/traces`, schedules the
retention purge, and adds `record_span` (`steps.py`) after the upstream call. The capability's
management routes (`api.py`), `rungway traces` (`cli.py`) and its migrations branch (`migrations/`)
are declared on `CAPABILITY`, which pyproject.toml publishes in the `rungway.capabilities` group.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from rungway.capability import Capability, Host, Installed
from rungway.domain.pricing import Price
from rungway.domain.workloads import ContentCapture
from rungway.gateway.context import CallContext
from rungway.gateway.pipeline import PipelineExtension
from rungway.gateway.state import GatewayState
from rungway.store.writer import BatchWriter
from rungway.traces.admission import DrainClock, SpanFanout
from rungway.traces.api import router
from rungway.traces.config import TRACING_SECTION, TracingConfig
from rungway.traces.content import SpanRecord
from rungway.traces.exporter import OtlpHttpExporter
from rungway.traces.pages import pages
from rungway.traces.receiver import IngestPrincipal, OtlpReceiver
from rungway.traces.steps import SpanRecordCodec, build_span
from rungway.traces.store import insert_spans, purge_expired

__all__ = ["CAPABILITY", "install_traces"]

log = logging.getLogger("rungway.traces.install")


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
        if ctx.trace_id and ctx.span_id and (ctx.chat or ctx.endpoint == "embeddings"):
            fanout.offer_many((build_span(ctx, cfg.limits),))

    return Installed(
        pipeline=[PipelineExtension("traces", after_call=[record_span])],
        writers=writers,
        on_startup=[start_purge],
        on_cleanup=[stop_purge, stop_receiver],
    )


CAPABILITY = Capability(
    name="traces",
    install=install_traces,
    sections=(TRACING_SECTION,),
    routers=(router,),
    cli={"traces": "rungway.traces.cli:traces_group"},
    migrations="rungway.traces.migrations",
    checks=("rungway.traces.checks",),
    pages=(pages,),
)
"""Traces: the llm span of every call, OTLP ingest at /v1/traces, `tracing:`, /api/traces, `rungway traces`."""
