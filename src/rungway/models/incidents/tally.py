"""What the calls that touched a failing deployment saw, counted per scope (an incident or a drill).

A call is in scope when one of its tries went to (or skipped) the deployment. It then either
succeeded on that deployment, failed over (succeeded on another one after trying or skipping it),
was lost (failed with no deployment left), or failed for its own reasons (a 4xx: not counted lost).
Added latency is the time a failed-over call spent before the try that served it began. Latencies
are kept in a bounded reservoir, so a long incident costs bounded memory.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from rungway.gateway.routing import Attempt

__all__ = ["CallOutcome", "Tally", "WorkloadCounts", "classify", "percentile"]

RESERVOIR = 4096
_LOST = frozenset({"timeout", "connect", "5xx", "429", "skipped"})


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """One in-scope call: served, failed over, lost; the added and total latency when served."""

    served: bool
    failed_over: bool
    lost: bool
    added_ms: float | None
    total_ms: float | None


def classify(attempts: list[Attempt], deployment: str, succeeded: bool) -> CallOutcome | None:
    """The call's outcome with respect to `deployment`, or None when no try touched it."""
    if not any(a.deployment.name == deployment for a in attempts):
        return None
    last = attempts[-1]
    if succeeded and last.ok:
        added = (last.started - attempts[0].started) * 1000.0
        return CallOutcome(
            served=True,
            failed_over=last.deployment.name != deployment,
            lost=False,
            added_ms=max(0.0, added),
            total_ms=max(0.0, added) + last.latency_ms,
        )
    return CallOutcome(served=False, failed_over=False, lost=last.outcome in _LOST, added_ms=None, total_ms=None)


@dataclass(slots=True)
class WorkloadCounts:
    calls: int = 0
    served: int = 0
    failed_over: int = 0
    lost: int = 0


class _Reservoir:
    __slots__ = ("_rng", "seen", "values")

    def __init__(self) -> None:
        self.values: list[float] = []
        self.seen = 0
        self._rng = random.Random(0)

    def add(self, value: float) -> None:
        self.seen += 1
        if len(self.values) < RESERVOIR:
            self.values.append(value)
            return
        slot = self._rng.randrange(self.seen)
        if slot < RESERVOIR:
            self.values[slot] = value


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 3)


@dataclass(slots=True)
class Tally:
    """Counts for one scope, in total and per workload."""

    calls: int = 0
    served: int = 0
    failed_over: int = 0
    lost: int = 0
    workloads: dict[str, WorkloadCounts] = field(default_factory=dict)
    _added: _Reservoir = field(default_factory=_Reservoir)
    _normal: _Reservoir = field(default_factory=_Reservoir)

    def add(self, workload: str, outcome: CallOutcome) -> None:
        counts = self.workloads.get(workload)
        if counts is None:
            counts = self.workloads[workload] = WorkloadCounts()
        self.calls += 1
        counts.calls += 1
        if outcome.served:
            self.served += 1
            counts.served += 1
        if outcome.failed_over:
            self.failed_over += 1
            counts.failed_over += 1
            if outcome.added_ms is not None:
                self._added.add(outcome.added_ms)
        elif outcome.total_ms is not None:
            self._normal.add(outcome.total_ms)
        if outcome.lost:
            self.lost += 1
            counts.lost += 1

    @property
    def success_rate(self) -> float | None:
        return round(self.served / self.calls, 6) if self.calls else None

    def added_p(self, q: float) -> float | None:
        return percentile(self._added.values, q)

    def normal_p(self, q: float) -> float | None:
        return percentile(self._normal.values, q)
