"""Runs outage drills: sets a fault on a deployment's provider switch for a while, watches what the calls
touching it saw (the incidents recorder's tallies), and stores the drill with its report.

A deployment can be drilled when its provider has a fault switch: the simulator always, any other
provider only when `failover.drills.fault_switches` is true (`providers/registry.py fault_switch`
wrapped it at install). One drill per deployment at a time, on the replica that was asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import orjson
from sqlalchemy import Engine

from rungway.domain.ids import new_id
from rungway.errors import Conflict, InvalidRequest, NotFound
from rungway.models.drills.store import DrillRow, insert_drill, update_drill
from rungway.models.incidents.recorder import IncidentRecorder
from rungway.models.incidents.tally import Tally
from rungway.providers.faults import Fault, FaultSwitch
from rungway.settings.config import ModelRoute

__all__ = ["MAX_DURATION_S", "DrillRequest", "DrillRunner", "report_of"]

MAX_DURATION_S = 3600.0
MAX_LATENCY_S = 600.0


@dataclass(frozen=True, slots=True)
class DrillRequest:
    """Fault `deployment` for `duration_s`: fail `error_rate` of its requests, or add `latency_s`, or hang."""

    deployment: str
    duration_s: float
    error_rate: float = 0.0
    latency_s: float = 0.0
    hang: bool = False

    @property
    def fault(self) -> str:
        return "hang" if self.hang else "latency" if self.latency_s and not self.error_rate else "error"

    def check(self) -> None:
        if not 0 < self.duration_s <= MAX_DURATION_S:
            raise InvalidRequest(f"duration must be above 0 and at most {MAX_DURATION_S:g}s.", param="duration_s")
        if not 0 <= self.error_rate <= 1:
            raise InvalidRequest("error_rate must be a fraction from 0 to 1.", param="error_rate")
        if not 0 <= self.latency_s <= MAX_LATENCY_S:
            raise InvalidRequest(f"latency_s must be from 0 to {MAX_LATENCY_S:g}.", param="latency_s")
        if not (self.error_rate or self.latency_s or self.hang):
            raise InvalidRequest("a drill needs a fault: error_rate above 0, latency_s above 0, or hang.")


def report_of(row: DrillRow, tally: Tally, finished_at: float | None, status: str) -> DrillRow:
    workloads = {
        name: {"calls": c.calls, "served": c.served, "failed_over": c.failed_over, "lost": c.lost}
        for name, c in sorted(tally.workloads.items())
    }
    return replace(
        row,
        finished_at=finished_at,
        status=status,
        calls=tally.calls,
        served=tally.served,
        failed_over=tally.failed_over,
        lost=tally.lost,
        success_rate=tally.success_rate,
        added_p50_ms=tally.added_p(0.5),
        added_p99_ms=tally.added_p(0.99),
        normal_p50_ms=tally.normal_p(0.5),
        normal_p99_ms=tally.normal_p(0.99),
        workloads=orjson.dumps(workloads).decode(),
    )


class DrillRunner:
    """Starts drills and finishes them when their time is up (a task each)."""

    def __init__(
        self,
        engine: Engine,
        recorder: IncidentRecorder,
        switches: dict[str, FaultSwitch],
        deployments: Callable[[], dict[str, ModelRoute]],
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.recorder = recorder
        self.switches = switches  # provider name -> its switch
        self.deployments = deployments
        self.wall = wall
        self.running: dict[str, tuple[DrillRow, Tally, asyncio.Task[None]]] = {}

    async def start(self, request: DrillRequest, actor: str) -> DrillRow:
        request.check()
        route = self.deployments().get(request.deployment)
        if route is None:
            raise NotFound(f"No deployment is named `{request.deployment}`.", code="deployment_not_found")
        switch = self.switches.get(route.provider)
        if switch is None:
            raise InvalidRequest(
                f"The deployment `{route.name}` (provider `{route.provider}`) has no fault switch: only simulator "
                "deployments can be drilled unless failover.drills.fault_switches is true (test environments).",
                param="deployment",
            )
        if route.name in self.running:
            raise Conflict(f"A drill of `{route.name}` is already running: {self.running[route.name][0].id}.")
        now = self.wall()
        row = DrillRow(
            id=new_id("drl_"), deployment=route.name, fault=request.fault, error_rate=request.error_rate,
            latency_s=request.latency_s, duration_s=request.duration_s, started_at=now,
            ends_at=now + request.duration_s, finished_at=None, status="running", actor=actor[:256], calls=0,
            served=0, failed_over=0, lost=0, success_rate=None, added_p50_ms=None, added_p99_ms=None,
            normal_p50_ms=None, normal_p99_ms=None, workloads="{}",
        )  # fmt: skip
        await asyncio.to_thread(insert_drill, self.engine, row)
        fault = Fault(
            until=row.ends_at, model=route.upstream_model, error_rate=request.error_rate,
            latency_s=request.latency_s, hang=request.hang,
        )  # fmt: skip
        switch.set(fault)
        tally = self.recorder.watch(route.name)
        task = asyncio.create_task(self._finish_later(row, tally, switch, fault), name=f"drill-{row.id}")
        self.running[route.name] = (row, tally, task)
        return row

    def live(self, row: DrillRow) -> DrillRow:
        """A running drill's report so far (a stored row otherwise)."""
        found = self.running.get(row.deployment)
        if found is None or found[0].id != row.id:
            return row
        return report_of(found[0], found[1], None, "running")

    async def _finish_later(self, row: DrillRow, tally: Tally, switch: FaultSwitch, fault: Fault) -> None:
        status = "finished"
        try:
            await asyncio.sleep(max(0.0, row.ends_at - self.wall()))
            # calls still inside the gateway when the fault ends are counted: give them their answer
            await asyncio.sleep(min(row.duration_s, 1.0) + (5.0 if fault.hang else fault.latency_s))
        except asyncio.CancelledError:
            status = "interrupted"
        finally:
            if switch.fault is fault:
                switch.clear()
            self.recorder.unwatch(row.deployment, tally)
            self.running.pop(row.deployment, None)
            done = report_of(row, tally, self.wall(), status)
            await asyncio.shield(asyncio.to_thread(update_drill, self.engine, done))

    async def stop(self) -> None:
        for _row, _tally, task in list(self.running.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
