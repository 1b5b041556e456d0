"""Real servers for tests: the Rungway app on 127.0.0.1 in a thread, and loopback HTTP servers."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

import openai
import uvloop
from aiohttp import web

from rungway.capability import Capability, registered_sections
from rungway.domain.keys import Role
from rungway.gateway.connections import GatewayRunner
from rungway.gateway.routes import STATE
from rungway.gateway.state import GatewayState
from rungway.server import create_app
from rungway.services.keys import CreatedKey, create_api_key
from rungway.settings.config import Config, load_config
from rungway.settings.env import Environment
from rungway.store.workloads import get_workload


def environment(**variables: str) -> Environment:
    return Environment(
        config_path=None, database_url=None, redis_url=None, admin_key=None, ci=False, variables=variables
    )


def write_config(tmp_path: Path, text: str, **variables: str) -> Config:
    path = tmp_path / "rungway.yaml"
    path.write_text(text)
    return load_config(path, environment(**variables), registered_sections())


class LoopThread:
    """An event loop in a daemon thread; `run(coro)` runs a coroutine there and waits.

    uvloop, as `rungway serve` runs, so tests see the transports production sees."""

    def __init__(self) -> None:
        self.loop = uvloop.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class AppServer:
    """An aiohttp application served on 127.0.0.1:<free port> from its own thread."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loops = LoopThread()
        self.runner = self.make_runner(app)
        self.port = self.loops.run(self._start())
        self.base_url = f"http://127.0.0.1:{self.port}"

    def make_runner(self, app: web.Application) -> web.AppRunner:
        return web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=5)

    async def _start(self) -> int:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    def stop(self) -> None:
        try:
            self.loops.run(self.runner.cleanup())
        finally:
            self.loops.stop()


class Gateway(AppServer):
    """A whole Rungway server (gateway + management API) for one test, behind the listener
    `rungway serve` uses (connection caps and timeouts from `server:`)."""

    def __init__(self, config: Config, capabilities: Sequence[Capability] | None = None) -> None:
        self.config = config
        super().__init__(create_app(config, capabilities))
        self.state: GatewayState = self.app[STATE]
        self.openai_base = self.base_url + "/v1"

    def make_runner(self, app: web.Application) -> web.AppRunner:
        return GatewayRunner(app, self.config.server, access_log=None, handle_signals=False, shutdown_timeout=5)

    def create_key(self, workload: str = "test", **kwargs: Any) -> CreatedKey:
        created = create_api_key(
            self.state.engine, workload=workload, role=kwargs.pop("role", Role.DEVELOPER), **kwargs
        )
        self.state.directory.put_key(created.key)
        workload_row = get_workload(self.state.engine, workload)
        if workload_row is not None:
            self.state.directory.put_workload(workload_row)
        return created

    def sdk(self, secret: str | None = None) -> openai.OpenAI:
        """The official `openai.OpenAI` client pointed at this gateway (a new key unless one is given)."""
        return openai.OpenAI(base_url=self.openai_base, api_key=secret or self.create_key().secret, max_retries=0)

    def flush(self) -> None:
        """Wait until every call in flight has been accounted and every record is in the store."""
        deadline = time.monotonic() + 30
        while self.state.in_flight and time.monotonic() < deadline:
            time.sleep(0.005)
        assert not self.state.in_flight, "calls still in the pipeline after 30 s"
        for writer in self.state.writers:
            assert writer.flush(30), f"writer {writer.name} did not flush"

    def call(self, fn: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        return self.loops.run(fn())
