"""The caching capability's door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

It declares the `cache:` section and the `caching` migrations branch (c0001); `install_caching` builds the
runtime (the memory tier, Redis when the counters use it or `cache.shared: redis`, the semantic layer, the
entry writer), adds the lookup before the upstream call and the store after it, loads the live entries at
start and reads other replicas' entries in the background.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import Any

from rungway.caching.api import router
from rungway.caching.config import CACHE_SECTION, check_models
from rungway.caching.hit_checks import HitChecker
from rungway.caching.model import CacheEntry, HitCheck, SemanticState
from rungway.caching.pages import pages
from rungway.caching.store import append_checks, append_entries, load_semantic_states, purge_expired
from rungway.caching.tiers import RedisTier
from rungway.capability import Background, Capability, Host, Installed, PipelineExtension
from rungway.errors import ConfigError
from rungway.store.record_files import RecordCodec
from rungway.store.writer import BatchWriter

__all__ = ["CAPABILITY", "install_caching"]

log = logging.getLogger("rungway.caching")

PURGE_EVERY_S = 300.0


def _store_entries(engine: object, entries: list[CacheEntry]) -> None:
    append_entries(engine, entries, time.time())  # type: ignore[arg-type]


def install_caching(host: Host) -> Installed:
    # Here, not at the top: the runtime's semantic layer imports numpy and usearch (~0.13 s of CPU), which
    # every CLI command that loads the capabilities would pay.
    from rungway.caching.runtime import CACHE, CacheRuntime

    state = host.state
    config = state.config.section(CACHE_SECTION)
    check_models(state.config, config)
    counters = state.config.counters
    redis = None
    if config.shared == "redis" or (config.shared == "auto" and counters.backend == "redis"):
        if counters.redis_url is None:
            raise ConfigError(
                f"{state.config.source}: cache.shared: redis needs counters.redis_url. Fix: set counters: "
                "{backend: redis, redis_url: redis://127.0.0.1:6379/0}, or cache.shared: store"
            )
        redis = RedisTier(counters.redis_url, counters.key_prefix, counters.redis_ca_file)
    rec = state.config.recorder
    writer: BatchWriter[CacheEntry] = BatchWriter(
        "cache_entries",
        functools.partial(_store_entries, state.engine),
        max_queue=min(rec.queue_size, 100_000),
        batch_size=min(rec.batch_size, 500),
        flush_interval_s=rec.flush_interval_ms / 1000,
        codec=RecordCodec(CacheEntry, ("namespace", "id")),
    )
    runtime = CacheRuntime(state, config, writer, redis, state.metrics.registry)
    state.slots[CACHE] = runtime
    writers: list[BatchWriter[Any]] = [writer]
    background: list[Background] = []
    if any(w.semantic is not None and w.semantic.check is not None for w in config.workloads.values()):
        check_writer: BatchWriter[HitCheck] = BatchWriter(
            "cache_hit_checks",
            functools.partial(append_checks, state.engine),
            max_queue=10_000,
            batch_size=200,
            flush_interval_s=rec.flush_interval_ms / 1000,
            codec=RecordCodec(HitCheck, ("workload", "id")),
        )

        def set_state(new: SemanticState) -> None:
            runtime.states = {**runtime.states, new.workload: new}

        checker = HitChecker(state, config, check_writer, lambda: runtime.states, set_state)
        runtime.checker = checker
        writers.append(check_writer)
        background.append(Background("cache hit checks", checker.run))

    async def start() -> None:
        loaded = await asyncio.to_thread(runtime.load)
        runtime.states = await asyncio.to_thread(load_semantic_states, state.engine)
        if loaded:
            log.info("cache: %d stored answers loaded", loaded)

    async def refresh_loop() -> None:
        last_purge = time.monotonic()
        while True:
            await asyncio.sleep(config.refresh_s)
            try:
                await asyncio.to_thread(runtime.refresh)
                runtime.states = await asyncio.to_thread(load_semantic_states, state.engine)
                if time.monotonic() - last_purge > PURGE_EVERY_S:
                    last_purge = time.monotonic()
                    await asyncio.to_thread(purge_expired, state.engine, time.time())
            except Exception:
                log.exception("cache: refresh from the store failed; retrying in %.0f s", config.refresh_s)

    async def stop() -> None:
        if redis is not None:
            await redis.close()

    if config.workloads:
        background.insert(0, Background("cache refresh", refresh_loop))
    extension = PipelineExtension("caching", before_call=[runtime.lookup], after_call=[runtime.remember], last=True)
    return Installed(
        pipeline=[extension] if config.workloads else [],
        writers=writers,
        on_startup=[start],
        on_cleanup=[stop],
        background=background,
    )


CAPABILITY = Capability(
    name="caching",
    install=install_caching,
    sections=(CACHE_SECTION,),
    migrations="rungway.caching.migrations",
    routers=(router,),
    pages=(pages,),
    checks=("rungway.caching.checks",),
    cli={"cache": "rungway.caching.cli:cache_group", "cost savings": "rungway.caching.cli:savings_command"},
)
"""Caching: `cache:`, the exact and semantic layers in the gateway."""
