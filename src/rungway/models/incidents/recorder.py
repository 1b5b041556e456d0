"""The incidents recorder: opens a failover record when a deployment's circuit opens, counts what the
calls touching it saw, and stores the record, never on the hot path.

`on_transition` (a `HealthBook` listener) and `after_call` (a pipeline step after the answer) only
touch memory; `flush` (run by a background task every second, and at shutdown) writes the records that
changed through the store. Drills watch a deployment the same way (`watch` / `unwatch`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from rungway.domain.ids import new_id
from rungway.gateway.context import CallContext
from rungway.gateway.state import GatewayState
from rungway.models.health.breaker import CircuitState, Transition
from rungway.models.incidents.store import IncidentRow, WorkloadRow, save_incident
from rungway.models.incidents.tally import Tally, classify

__all__ = ["IncidentRecorder", "OpenIncident", "incident_row"]

log = logging.getLogger("rungway.models.incidents")

OnOpened = Callable[[IncidentRow], Awaitable[None]]


@dataclass(slots=True)
class OpenIncident:
    """An incident in progress (or just closed, until stored)."""

    id: str
    deployment: str
    opened_at: float
    cause: str
    tally: Tally = field(default_factory=Tally)
    closed_at: float | None = None
    announced: bool = False


def incident_row(incident: OpenIncident) -> IncidentRow:
    t = incident.tally
    return IncidentRow(
        id=incident.id,
        deployment=incident.deployment,
        opened_at=incident.opened_at,
        closed_at=incident.closed_at,
        cause=incident.cause,
        calls=t.calls,
        served=t.served,
        failed_over=t.failed_over,
        lost=t.lost,
        added_p50_ms=t.added_p(0.5),
        added_p99_ms=t.added_p(0.99),
        normal_p50_ms=t.normal_p(0.5),
        normal_p99_ms=t.normal_p(0.99),
        workloads=tuple(
            WorkloadRow(name, c.calls, c.served, c.failed_over, c.lost) for name, c in sorted(t.workloads.items())
        ),
    )


class IncidentRecorder:
    """Incidents by deployment while open, and drills' watches; flushed to the store in the background."""

    def __init__(self, engine: Engine, wall: Callable[[], float] = time.time, on_opened: OnOpened | None = None):
        self.engine = engine
        self.wall = wall
        self.on_opened = on_opened
        self.open: dict[str, OpenIncident] = {}  # deployment -> its incident in progress
        self.watches: dict[str, list[Tally]] = {}  # deployment -> drills' tallies
        self._dirty: dict[str, OpenIncident] = {}
        self._task: asyncio.Task[None] | None = None

    # hot path (memory only) -------------------------------------------------------------------------
    def on_transition(self, moved: Transition) -> None:
        name = moved.deployment
        if moved.after is CircuitState.OPEN and moved.before is CircuitState.CLOSED:
            incident = OpenIncident(new_id("inc_"), name, self.wall(), moved.cause)
            self.open[name] = incident
            self._dirty[incident.id] = incident
        elif moved.after is CircuitState.CLOSED:
            closing = self.open.pop(name, None)
            if closing is not None:
                closing.closed_at = self.wall()
                self._dirty[closing.id] = closing

    async def after_call(self, state: GatewayState, ctx: CallContext) -> None:
        """Count the call in every incident and drill whose deployment one of its tries touched."""
        if not (self.open or self.watches) or not ctx.attempts:
            return
        succeeded = ctx.error is None and ctx.status < 400
        workload = ctx.workload.name if ctx.workload is not None else (ctx.key.workload if ctx.key else "") or ""
        for name, incident in self.open.items():
            outcome = classify(ctx.attempts, name, succeeded)
            if outcome is not None:
                incident.tally.add(workload, outcome)
                self._dirty[incident.id] = incident
        for name, tallies in self.watches.items():
            outcome = classify(ctx.attempts, name, succeeded)
            if outcome is not None:
                for tally in tallies:
                    tally.add(workload, outcome)

    def watch(self, deployment: str) -> Tally:
        tally = Tally()
        self.watches.setdefault(deployment, []).append(tally)
        return tally

    def unwatch(self, deployment: str, tally: Tally) -> None:
        left = [t for t in self.watches.get(deployment, []) if t is not tally]
        if left:
            self.watches[deployment] = left
        else:
            self.watches.pop(deployment, None)

    def incident_of(self, deployment: str) -> OpenIncident | None:
        return self.open.get(deployment)

    # background -----------------------------------------------------------------------------------
    async def flush(self) -> None:
        """Store every record that changed since the last flush (in a thread)."""
        if not self._dirty:
            return
        changed, self._dirty = list(self._dirty.values()), {}
        rows = [incident_row(i) for i in changed]
        try:
            await asyncio.to_thread(self._save, rows)
        except Exception:  # the store is down: keep them for the next flush
            log.warning("could not store %d incident records; retrying", len(rows), exc_info=True)
            for incident in changed:
                self._dirty.setdefault(incident.id, incident)
            return
        for incident, row in zip(changed, rows, strict=True):
            if not incident.announced and self.on_opened is not None:
                incident.announced = True
                try:
                    await self.on_opened(row)
                except Exception:
                    log.warning("could not announce incident %s", row.id, exc_info=True)

    def _save(self, rows: list[IncidentRow]) -> None:
        for row in rows:
            save_incident(self.engine, row)

    async def _loop(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            await self.flush()

    async def start(self, interval_s: float = 1.0) -> None:
        self._task = asyncio.create_task(self._loop(interval_s), name="models-incidents")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()
