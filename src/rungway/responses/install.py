"""The Responses capability's one door: `CAPABILITY`, published in the `rungway.capabilities` group.

It declares the `responses:` section and the `responses` migrations branch (resp0001...); `install` adds the
Responses dialect (`POST /v1/responses`, served by the chat pipeline), mounts the retrieve, delete and
input_items routes, writes stored responses through a batch writer and purges expired ones hourly.
"""

from __future__ import annotations

import asyncio
import logging
import time

from rungway.capability import Background, Capability, Host, Installed
from rungway.responses.config import RESPONSES_SECTION
from rungway.responses.dialect import ResponsesDialect
from rungway.responses.routes import add_response_routes
from rungway.responses.runtime import ResponsesRuntime
from rungway.responses.store import ResponseWrite, purge_responses, write_responses
from rungway.store.writer import BatchWriter

__all__ = ["CAPABILITY", "PURGE_EVERY_S", "install_responses"]

PURGE_EVERY_S = 3600.0
log = logging.getLogger("rungway.responses")


def install_responses(host: Host) -> Installed:
    state = host.state
    config = state.config.section(RESPONSES_SECTION)
    rec = state.config.recorder
    writer: BatchWriter[ResponseWrite] = BatchWriter(
        "responses",
        lambda batch: write_responses(state.engine, batch),
        max_queue=rec.queue_size,
        batch_size=rec.batch_size,
        flush_interval_s=rec.flush_interval_ms / 1000,
    )
    runtime = ResponsesRuntime(state.engine, config, writer)
    add_response_routes(host.app, runtime)

    async def purge_forever() -> None:
        while True:
            cutoff = time.time() - config.retention_s
            purged = await asyncio.to_thread(purge_responses, state.engine, cutoff)
            if purged:
                log.info("purged %d stored responses older than %d days", purged, config.retention_days)
            await asyncio.sleep(PURGE_EVERY_S)

    purge = Background("rungway-responses-purge", purge_forever)
    return Installed(dialects=(ResponsesDialect(runtime),), writers=(writer,), background=[purge])


CAPABILITY = Capability(
    "responses", install_responses, sections=(RESPONSES_SECTION,), migrations="rungway.responses.migrations"
)
