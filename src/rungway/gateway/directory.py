"""In-memory copies of keys and workloads, kept fresh from the store off the request path.

The gateway authenticates every call against this cache: the hot path never waits on the
database. A key the cache has not seen yet (created a moment ago by another process) is looked
up once in a worker thread, with a negative cache and a cap on look-ups per second so that a
flood of bad keys cannot turn into database load.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import Engine

from rungway.domain.keys import ApiKey, hash_key
from rungway.domain.workloads import Workload
from rungway.store.keys import key_by_hash, keys_changed_since
from rungway.store.workloads import list_workloads, workloads_changed_since

log = logging.getLogger("rungway.gateway.directory")


class Directory:
    """Keys by hash and workloads by name, refreshed every `refresh_s` seconds."""

    def __init__(self, engine: Engine, refresh_s: float = 1.0, miss_lookups_per_s: int = 50) -> None:
        self._engine = engine
        self._refresh_s = refresh_s
        self._keys: dict[str, ApiKey] = {}
        self._workloads: dict[str, Workload] = {}
        self._misses: dict[str, float] = {}
        self._miss_budget = miss_lookups_per_s
        self._miss_window = 0
        self._miss_count = 0
        self._since = 0.0
        self._task: asyncio.Task[None] | None = None

    def load(self) -> None:
        """Load everything (blocking): called once at start, before serving."""
        started = time.time()
        for key in keys_changed_since(self._engine, 0.0):
            self._keys[key.key_hash] = key
        self._workloads = {w.name: w for w in list_workloads(self._engine)}
        self._since = started

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._refresh_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def put_key(self, key: ApiKey) -> None:
        self._keys[key.key_hash] = key
        self._misses.pop(key.key_hash, None)

    def put_workload(self, workload: Workload) -> None:
        self._workloads[workload.name] = workload

    def workload(self, name: str) -> Workload | None:
        return self._workloads.get(name)

    def cached_key(self, key_hash: str) -> ApiKey | None:
        """The key with this hash as last refreshed (no store look-up): what a dashboard session re-checks."""
        return self._keys.get(key_hash)

    async def key_for(self, secret: str) -> ApiKey | None:
        digest = hash_key(secret)
        key = self._keys.get(digest)
        if key is not None:
            return key
        now = time.monotonic()
        if self._misses.get(digest, 0.0) > now or not self._may_look_up(now):
            return None
        key = await asyncio.to_thread(key_by_hash, self._engine, digest)
        if key is None:
            if len(self._misses) > 100_000:
                self._misses.clear()
            self._misses[digest] = now + 5.0
            return None
        self._keys[digest] = key
        return key

    def _may_look_up(self, now: float) -> bool:
        window = int(now)
        if window != self._miss_window:
            self._miss_window, self._miss_count = window, 0
        self._miss_count += 1
        return self._miss_count <= self._miss_budget

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_s)
            try:
                await asyncio.to_thread(self._refresh)
            except Exception:
                log.exception("could not refresh keys and workloads; serving from cache")

    def _refresh(self) -> None:
        started = time.time()
        since = self._since - 5.0  # overlap: rows committed late by a slow writer are not missed
        for key in keys_changed_since(self._engine, since):
            self._keys[key.key_hash] = key
        for workload in workloads_changed_since(self._engine, since):
            self._workloads[workload.name] = workload
        self._since = started
