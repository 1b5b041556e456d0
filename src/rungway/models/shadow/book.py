"""The shadow runs each server holds in memory: {workload: active run}, refreshed from the store in the background.

The gateway's after-step reads `ShadowBook.runs` (a dict it never waits on); a run started or stopped
through the API reaches every replica within one refresh (`shadow.refresh`), the replica that took the
request at once. Configured targets (`shadow.workloads`) are seeded as runs once: each (workload, from,
to) gets a run with a stable id, so replicas starting together seed one, and a run stopped through the
API stays stopped across restarts. Overflow drops are counted in memory and added to the run's row at
each refresh.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine

from rungway.models.shadow.config import ShadowConfig
from rungway.models.shadow.model import ShadowRun
from rungway.models.shadow.store import active_runs, add_dropped, find_run, insert_run, update_run_bounds

__all__ = ["ShadowBook", "config_run_id"]

log = logging.getLogger("rungway.models.shadow")


def config_run_id(workload: str, from_model: str, to_model: str) -> str:
    """The stable id of the run a configured target seeds (the same on every replica)."""
    digest = hashlib.sha256(f"{workload}\0{from_model}\0{to_model}".encode()).hexdigest()
    return f"shr_cfg_{digest[:24]}"


class ShadowBook:
    """Active shadow runs by workload, in memory; `load` seeds the configured ones and reads the store."""

    def __init__(self, engine: Engine, config: ShadowConfig, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._config = config
        self._clock = clock
        self.runs: dict[str, ShadowRun] = {}  # replaced whole on each load: readers never see it half-built
        self._dropped: dict[str, int] = {}
        self._dropped_lock = threading.Lock()  # counted on the loop, taken by `load` in a worker thread
        self._task: asyncio.Task[None] | None = None

    def seed(self) -> None:
        """Store a run for each configured target that has none yet; keep an active one's bounds current."""
        now = self._clock()
        for workload, target in self._config.workloads.items():
            run_id = config_run_id(workload, target.from_model, target.to_model)
            found = find_run(self._engine, run_id)
            if found is None:
                run = ShadowRun(run_id, workload, target.from_model, target.to_model, target.sample,
                                target.max_in_flight, now, started_by="config", source="config")  # fmt: skip
                insert_run(self._engine, run)
            elif found.active(now) and (found.sample, found.max_in_flight) != (target.sample, target.max_in_flight):
                update_run_bounds(self._engine, run_id, target.sample, target.max_in_flight)

    def load(self) -> None:
        """Add the drops counted since the last load, then read the active runs (blocking: call in a thread)."""
        with self._dropped_lock:
            dropped, self._dropped = self._dropped, {}
        if dropped:
            try:
                add_dropped(self._engine, dropped)
            except Exception:  # the store is down: keep the counts for the next refresh
                with self._dropped_lock:
                    for run_id, count in dropped.items():
                        self._dropped[run_id] = self._dropped.get(run_id, 0) + count
                raise
        self.runs = active_runs(self._engine, self._clock())

    def note_dropped(self, run_id: str) -> None:
        with self._dropped_lock:
            self._dropped[run_id] = self._dropped.get(run_id, 0) + 1

    async def start(self) -> None:
        await asyncio.to_thread(self.seed)
        await asyncio.to_thread(self.load)
        self._task = asyncio.get_running_loop().create_task(self._refresh_forever())

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self._config.refresh_s)
            try:
                await asyncio.to_thread(self.load)
            except Exception:  # noqa: BLE001 - a store outage must not end the refresh: the last runs stay in force
                log.warning("shadow runs not refreshed (the store is unavailable); keeping the last ones")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        with self._dropped_lock:
            dropped, self._dropped = self._dropped, {}
        if dropped:
            try:
                await asyncio.to_thread(add_dropped, self._engine, dropped)
            except Exception:  # noqa: BLE001 - the store is away at shutdown: the drops stay in /metrics only
                log.warning("shadow drop counts not stored at shutdown: %s", dropped)
