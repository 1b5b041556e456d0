"""The run every new prompt version gets on the server: each dataset bound to the prompt, in the background.

The prompt library calls `AutoRuns.on_version_created` (registered on its `PromptHooks` by the evals
install) after a version is created. For a workload's prompt with bindings, a task runs each bound dataset's
newest version through the runner (`EvalRunner`), at most `max_runs` runs at once and `run_concurrency`
calls in flight per run, pinned to that exact prompt version and stored with `trigger: server`.

The calls go through this same server's gateway (its `/v1/chat/completions`, at the local address the
version's request arrived on), so they are recorded, traced, priced and budgeted as the workload's. They
need the workload's key: the server creates one internal key per workload on first need, an application key
named `rungway eval runs (server)` (so the request log and `rungway keys list` show what made the calls),
keeps its secret in memory only, revokes the ones an earlier server process made when it makes its own, and
revokes its own at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Engine

from rungway.domain.keys import KeyKind, Role
from rungway.evals.bindings.service import bindings_of
from rungway.evals.config import EvalsConfig
from rungway.evals.datasets.model import DatasetVersion
from rungway.evals.datasets.service import get_cases, get_version
from rungway.evals.runs.gateway_client import GatewayClient
from rungway.evals.runs.model import EvalResult, RunStatus, Trigger
from rungway.evals.runs.runner import EvalCase, EvalRunner, PromptChoice, RunSettings
from rungway.evals.runs.service import RunCaller, add_results, finish_run, start_run
from rungway.evals.runs.sinks import RunStart
from rungway.prompts.hooks import VersionCreatedEvent
from rungway.services.keys import create_api_key
from rungway.store.keys import list_keys, revoke_key

__all__ = ["INTERNAL_KEY_NAME", "AutoRuns", "StoreCaseSource", "StoreSink"]

log = logging.getLogger(__name__)

INTERNAL_KEY_NAME = "rungway eval runs (server)"
PAGE_SIZE = 500


class StoreCaseSource:
    """A dataset version's cases read from the store a page at a time."""

    def __init__(self, engine: Engine, version: DatasetVersion) -> None:
        self.engine = engine
        self.found = version
        self.dataset = version.name
        self.version = str(version.version)
        self.default_assertions: Sequence[Any] = version.default_assertions

    async def pages(self) -> AsyncIterator[Sequence[EvalCase]]:
        offset = 0
        while True:
            cases = await asyncio.to_thread(get_cases, self.engine, self.found, offset=offset, limit=PAGE_SIZE)
            if cases:
                yield [EvalCase(c.key, c.vars, c.messages or (), c.expected, c.assertions, c.metadata) for c in cases]
            offset += len(cases)
            if len(cases) < PAGE_SIZE:
                return


class StoreSink:
    """Results straight into this server's runs store, through the runs service (the API's own rules)."""

    def __init__(self, engine: Engine, caller: RunCaller) -> None:
        self.engine = engine
        self.caller = caller

    async def start(self, run: RunStart) -> str:
        made = await asyncio.to_thread(start_run, self.engine, self.caller, run.to_json())
        return made.id

    async def write(self, run_id: str, results: Sequence[EvalResult]) -> None:
        await asyncio.to_thread(add_results, self.engine, self.caller, run_id, [r.to_json() for r in results])

    async def finish(self, run_id: str, status: RunStatus, error: str | None = None) -> dict[str, Any]:
        done = await asyncio.to_thread(finish_run, self.engine, self.caller, run_id, status, error)
        return done.to_json()


class AutoRuns:
    """The server's background eval runs: bounded, tracked, cancelled at shutdown."""

    def __init__(self, engine: Engine, config: EvalsConfig) -> None:
        self.engine = engine
        self.config = config
        self._slots = asyncio.Semaphore(config.max_runs)
        self._tasks: set[asyncio.Task[None]] = set()
        self._keys: dict[str, tuple[str, str]] = {}  # workload -> (key id, secret)
        self._key_lock = asyncio.Lock()

    def on_version_created(self, event: VersionCreatedEvent) -> None:
        if event.workload is None or event.server_url is None:
            return  # a shared prompt has no workload to run as; the server's address is unknown
        task = asyncio.create_task(self._run_bound(event.workload, event.name, event.version, event.server_url))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_bound(self, workload: str, prompt: str, version: int, server_url: str) -> None:
        bound = await asyncio.to_thread(bindings_of, self.engine, workload, prompt)
        for binding in bound:
            try:
                async with self._slots:
                    await self._run_one(workload, prompt, version, binding.dataset, server_url)
            except asyncio.CancelledError:
                raise
            except Exception:  # one dataset's failure must not stop the others; the run records what it can
                log.exception("server eval run of %s@%s on %s failed", prompt, version, binding.dataset)

    async def _run_one(self, workload: str, prompt: str, version: int, dataset: str, server_url: str) -> None:
        found = await asyncio.to_thread(get_version, self.engine, workload=workload, name=dataset)
        secret = await self._key_for(workload)
        client = GatewayClient(server_url, secret, concurrency=self.config.run_concurrency, timeout_s=120.0)
        settings = RunSettings(concurrency=self.config.run_concurrency, prompt=PromptChoice(prompt, version))
        start = RunStart(workload, found.name, str(found.version), None, {}, prompt, version, 1, Trigger.SERVER)
        caller = RunCaller(Role.ADMIN, workload, INTERNAL_KEY_NAME)
        try:
            await EvalRunner(client, settings).run(
                start, StoreCaseSource(self.engine, found), StoreSink(self.engine, caller)
            )
        finally:
            await client.close()

    async def _key_for(self, workload: str) -> str:
        async with self._key_lock:
            held = self._keys.get(workload)
            if held is None:
                held = await asyncio.to_thread(self._new_key, workload)
                self._keys[workload] = held
            return held[1]

    def _new_key(self, workload: str) -> tuple[str, str]:
        for old in list_keys(self.engine, workload):
            if old.name == INTERNAL_KEY_NAME and old.kind is KeyKind.APPLICATION and old.owner is None:
                revoke_key(self.engine, old.id)  # an earlier server's: its secret died with it
        made = create_api_key(self.engine, workload=workload, name=INTERNAL_KEY_NAME, role=Role.DEVELOPER,
                          kind=KeyKind.APPLICATION)  # fmt: skip
        return made.key.id, made.secret

    async def stop(self) -> None:
        """Cancel the runs under way (each is marked cancelled) and revoke the internal keys."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        held = list(self._keys.values())
        self._keys.clear()
        for key_id, _ in held:
            await asyncio.to_thread(revoke_key, self.engine, key_id)

    async def wait_idle(self) -> None:
        """Wait for the runs under way (tests, and an orderly shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
