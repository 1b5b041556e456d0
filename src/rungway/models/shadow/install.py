"""What shadowing adds to a server: the in-memory runs (seeded, refreshed), the after-step, the result writer."""

from __future__ import annotations

from prometheus_client import Counter

from rungway.capability import Host, Installed
from rungway.errors import ConfigError
from rungway.models.shadow.api import SHADOW
from rungway.models.shadow.book import ShadowBook
from rungway.models.shadow.config import SHADOW_SECTION
from rungway.models.shadow.model import ShadowResult
from rungway.models.shadow.runtime import ShadowRuntime
from rungway.models.shadow.store import insert_results
from rungway.store.record_files import RecordCodec
from rungway.store.writer import BatchWriter

__all__ = ["install_shadow"]


def install_shadow(host: Host) -> Installed:
    state = host.state
    config = state.config.section(SHADOW_SECTION)
    for workload, target in config.workloads.items():
        if target.to_model not in state.config.models:
            raise ConfigError(
                f"{state.config.source}: shadow.workloads.{workload}.to: no model {target.to_model!r} in `models:`. "
                f"Fix: name one of {', '.join(sorted(state.config.models)) or 'the models you add under models:'}"
            )
    rec = state.config.recorder
    writer: BatchWriter[ShadowResult] = BatchWriter(
        "model_shadow_results",
        lambda batch: insert_results(state.engine, batch),
        max_queue=min(rec.queue_size, 100_000),
        batch_size=rec.batch_size,
        flush_interval_s=rec.flush_interval_ms / 1000,
        codec=RecordCodec(ShadowResult, ("id",)),
    )
    calls = Counter(
        "rungway_shadow_calls",
        "Shadow calls to a candidate model by outcome: sent, ok, error, dropped (max_in_flight reached), unroutable",
        ["workload", "outcome"],
        registry=state.metrics.registry,
    )
    book = ShadowBook(state.engine, config)
    runtime = ShadowRuntime(book, writer, calls, config.timeout_s)
    state.slots[SHADOW] = runtime

    async def stop() -> None:
        await runtime.stop()
        await book.stop()

    return Installed(pipeline=[runtime.pipeline()], writers=[writer], on_startup=[book.start], on_cleanup=[stop])
