"""The composition root: build a Rungway server from a Config and run it.

This is the one place that knows every layer: it opens the store, runs migrations, creates
providers and counters from their registries, installs every capability from the capability
registry (`rungway.capability`) and wires what each adds, and mounts the gateway and management
routes. It names no capability. Entry points (CLI, tests, benchmarks) call `create_app` or `serve`.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from rungway.api.registry import ApiRouter
from rungway.api.routes import mount_api
from rungway.capability import Background, Capability, Hook, Host, load_capabilities, migration_packages
from rungway.counters.registry import create_counters
from rungway.domain.records import ManagementRead, RequestRecord
from rungway.errors import ConfigError, error_body
from rungway.gateway.connections import GatewayRunner
from rungway.gateway.dialect import Dialect
from rungway.gateway.directory import Directory
from rungway.gateway.dispatch import add_gateway_path, management_only
from rungway.gateway.metrics import GatewayMetrics
from rungway.gateway.pipeline import Pipeline, PipelineExtension, build_dialect_pipeline, build_pipelines
from rungway.gateway.routes import PIPELINES, STATE, add_gateway_routes
from rungway.gateway.slots import StateKey
from rungway.gateway.state import GatewayState
from rungway.providers.base import Provider
from rungway.providers.registry import create_provider
from rungway.services.config_check import check_config
from rungway.services.overview import RollupTracker, keep_rollup_fresh
from rungway.settings.config import Config
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.reads import insert_reads
from rungway.store.record_files import default_spill_dir
from rungway.store.requests import REQUEST_CODEC, insert_requests
from rungway.store.workloads import upsert_workload
from rungway.store.writer import BatchWriter
from rungway.web.mount import mount_ui
from rungway.web.pages import PageRouter

log = logging.getLogger("rungway.server")
REQUEST_ROLLUP: StateKey[RollupTracker] = StateKey("request_rollup")  # late calls noted by the request writer


def build_state(config: Config, capabilities: Sequence[Capability] | None = None) -> GatewayState:
    """Validate every section, then open the store (migrating it), create providers and counters; blocking."""
    check_config(config)  # a file the server would refuse never migrates a store
    chosen = load_capabilities() if capabilities is None else capabilities
    engine = create_store_engine(config.database_url)
    upgrade(engine, migration_packages(chosen))
    for workload in config.workloads.values():
        upsert_workload(engine, workload)
    directory = Directory(engine)
    directory.load()
    providers: dict[str, Provider] = {name: create_provider(p) for name, p in config.providers.items()}
    prices = {name: config.price_of(route) for name, route in config.models.items()}
    rec = config.recorder
    rollup = RollupTracker()

    def store_requests(batch: Sequence[RequestRecord]) -> None:
        insert_requests(engine, batch)
        rollup.saw(batch)  # an hour already rolled up is recomputed when late calls land in it

    request_writer: BatchWriter[RequestRecord] = BatchWriter(
        "requests",
        store_requests,
        max_queue=rec.queue_size,
        batch_size=rec.batch_size,
        flush_interval_s=rec.flush_interval_ms / 1000,
        codec=REQUEST_CODEC,
    )
    read_writer: BatchWriter[ManagementRead] = BatchWriter(
        "management_reads", lambda batch: insert_reads(engine, batch), max_queue=10_000, batch_size=500
    )
    writers: list[BatchWriter[Any]] = [request_writer, read_writer]
    metrics = GatewayMetrics(lambda: writers)
    state = GatewayState(
        config=config,
        engine=engine,
        directory=directory,
        providers=providers,
        prices=prices,
        counters=create_counters(config.counters),
        request_writer=request_writer,
        metrics=metrics,
        writers=writers,
        read_writer=read_writer,
    )
    state.slots[REQUEST_ROLLUP] = rollup
    return state


@management_only  # a gateway call answers its own errors (the pipeline catches what it raises)
@web.middleware
async def _json_http_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """aiohttp's own 404/405/413 answers, in the OpenAI error format."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        kind = "not_found_error" if exc.status == 404 else "invalid_request_error"
        message = f"{exc.reason}: {request.method} {request.path}"
        import orjson

        return web.Response(
            status=exc.status,
            body=orjson.dumps(error_body(message, kind, str(exc.status))),
            content_type="application/json",
            headers={k: v for k, v in exc.headers.items() if k.lower() == "allow"},
        )


def _mount_dialect(app: web.Application, pipeline: Pipeline, paths: Sequence[str]) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await pipeline.handle(request.app[STATE], request)

    for path in paths:
        app.router.add_post(path, handle)
        add_gateway_path(app, path)


class _Lifecycle:
    """The capabilities' start-up hooks, then their background tasks; at clean-up the tasks are cancelled and
    awaited first, then the clean-up hooks run (each one's failure logged, so the queues still drain)."""

    def __init__(self, startups: Sequence[Hook], cleanups: Sequence[Hook], loops: Sequence[Background]) -> None:
        self.startups = startups
        self.cleanups = cleanups
        self.loops = loops
        self.running: list[asyncio.Task[None]] = []

    async def startup(self, _app: web.Application) -> None:
        for hook in self.startups:
            await hook()
        self.running.extend(asyncio.create_task(loop.run(), name=loop.name) for loop in self.loops)

    async def cleanup(self, _app: web.Application) -> None:
        for task in self.running:
            task.cancel()
        for task, loop in zip(self.running, self.loops, strict=False):
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:  # a task that had failed already: said once, the shutdown goes on
                log.exception("background task %s failed", loop.name)
        self.running.clear()
        for hook in self.cleanups:
            try:
                await hook()
            except Exception:  # one capability's failed clean-up must not keep the queues from draining
                log.exception("clean-up hook %s failed", getattr(hook, "__qualname__", hook))


def create_app(
    config: Config, capabilities: Sequence[Capability] | None = None, state: GatewayState | None = None
) -> web.Application:
    """The aiohttp application: the gateway routes plus what each capability (default: every registered
    one, in registry order) adds. Capability start-up hooks run first, their clean-up hooks (in reverse)
    before the core's, so a capability's tasks stop before the queues they feed are drained."""
    chosen = load_capabilities() if capabilities is None else capabilities
    state = state or build_state(config, chosen)
    app = web.Application(client_max_size=config.server.max_body_bytes, middlewares=[_json_http_errors])
    app[STATE] = state
    host = Host(state, app)
    extensions: list[PipelineExtension] = []
    routers: list[ApiRouter] = []
    pages: list[PageRouter] = []
    startups: list[Hook] = []
    cleanups: list[Hook] = []
    loops: list[Background] = []
    dialects: list[Dialect] = []
    for capability in chosen:
        added = capability.install(host)
        extensions.extend(added.pipeline)
        routers.extend(capability.routers)
        pages.extend(capability.pages)
        state.writers.extend(added.writers)
        state.budget_holders.extend(added.budget_holders)
        if added.route_planner is not None:
            if state.route_planner is not None:
                raise ConfigError(
                    f"two installed capabilities route calls (the second is {capability.name}). "
                    "Fix: uninstall one of them"
                )
            state.route_planner = added.route_planner
        state.attempt_observers.extend(added.attempt_observers)
        if added.output_guard is not None:
            if state.output_guard is not None:
                raise ConfigError(
                    f"two installed capabilities check answers (the second is {capability.name}). "
                    "Fix: uninstall one of them"
                )
            state.output_guard = added.output_guard
        startups.extend(added.on_startup)
        cleanups[:0] = added.on_cleanup
        loops.extend(added.background)
        dialects.extend(added.dialects)
    app[PIPELINES] = build_pipelines(extensions)
    for dialect in dialects:
        _mount_dialect(app, build_dialect_pipeline(dialect, extensions), dialect.paths)
    if routers:
        mount_api(app, routers)
    mount_ui(app, pages, admin_key=config.server.admin_key)
    add_gateway_routes(app)
    _attach_spill_dir(state)

    lifecycle = _Lifecycle(startups, cleanups, loops)

    background: list[asyncio.Task[None]] = []

    async def on_startup(_app: web.Application) -> None:
        for writer in state.writers:
            writer.start()
        for provider in state.providers.values():
            await provider.start()
        state.directory.start()
        tracker = state.slots.get(REQUEST_ROLLUP) or RollupTracker()
        background.append(asyncio.get_running_loop().create_task(keep_rollup_fresh(state.engine, tracker)))

    async def on_cleanup(_app: web.Application) -> None:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await state.directory.stop()
        for provider in state.providers.values():
            await provider.close()
        await state.counters.close()
        # In parallel: the grace period is for the whole shutdown, not per queue.
        grace_s = state.config.recorder.shutdown_grace_ms / 1000
        await asyncio.gather(*(asyncio.to_thread(writer.close, grace_s) for writer in state.writers))
        state.engine.dispose()

    app.on_startup.append(lifecycle.startup)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(lifecycle.cleanup)
    app.on_cleanup.append(on_cleanup)
    return app


def _attach_spill_dir(state: GatewayState) -> None:
    """Every writer with a record codec spills, quarantines and replays through one directory."""
    rec = state.config.recorder
    directory = Path(rec.spill_dir) if rec.spill_dir else default_spill_dir(state.config.database_url)
    for writer in state.writers:
        writer.use_disk(
            directory,
            write_ahead=rec.durability == "write-ahead",
            sync_interval_s=rec.write_ahead_sync_ms / 1000,
            quarantine_max_bytes=rec.quarantine_max_bytes,
        )


async def run_app(app: web.Application, host: str, port: int, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve until SIGTERM or SIGINT, then stop accepting, finish in-flight calls and drain the queues."""
    server_config = app[STATE].config.server
    if server_config.metrics_key is None and host not in ("127.0.0.1", "::1", "localhost"):
        log.warning("/metrics is open to anyone who reaches %s:%s; set server.metrics_key to close it", host, port)
    # Signals are ours before the address is announced: a SIGTERM the moment a supervisor sees the server
    # up must drain it, not kill it with the default action.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = GatewayRunner(app, server_config, access_log=None, handle_signals=False, shutdown_timeout=30)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, backlog=4096)
        await site.start()
        # What the start-up hooks loaded (catalogues, caches, prepared statements) lives as long as the
        # server: frozen like the modules and config before it, the collector never walks it again.
        gc.collect()
        gc.freeze()
        sockets = getattr(site._server, "sockets", None) or []
        bound = sockets[0].getsockname()[1] if sockets else port
        if on_ready is not None:
            on_ready(f"http://{host}:{bound}")
        await stop.wait()
    finally:
        log.info("shutting down: finishing in-flight calls and draining queues")
        await runner.cleanup()


def serve(
    config: Config,
    host: str | None = None,
    port: int | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Run a server in this process (blocking), on uvloop where available."""
    app = create_app(config)
    coro = run_app(app, host or config.server.host, config.server.port if port is None else port, on_ready)
    # The batch writer threads share the GIL with the event loop: a 1 ms switch interval (Python's
    # default is 5 ms) bounds how long a batch being written keeps a request waiting.
    sys.setswitchinterval(0.001)
    # Objects alive at start (modules, config, routes) never become garbage: freezing them keeps the
    # collector from re-scanning them, and a larger young generation runs it less often per call.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
    if sys.platform != "win32":
        import uvloop

        uvloop.run(coro)
    else:
        asyncio.run(coro)
