"""What the pipeline steps share: configuration, providers, caches, counters, writers, metrics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Engine

from rungway.counters.base import BudgetDenied, BudgetUse, Counters
from rungway.domain.pricing import Price
from rungway.domain.records import ManagementRead, RequestRecord
from rungway.errors import RungwayError
from rungway.gateway.context import CallContext
from rungway.gateway.directory import Directory
from rungway.gateway.metrics import GatewayMetrics
from rungway.gateway.output_guard import OutputGuard
from rungway.gateway.routing import Attempt, RoutePlan
from rungway.gateway.slots import Slots
from rungway.providers.base import Provider
from rungway.settings.config import Config
from rungway.store.writer import BatchWriter


class BudgetHolder(Protocol):
    """A capability whose budget holds ride with the rate limits: one counters round trip before a call
    (`Counters.admit`) and one after it (`Counters.finish`), both made by the steps in `gateway/limits.py`."""

    def holds(self, state: GatewayState, ctx: CallContext, now: float) -> Sequence[BudgetUse]:
        """The holds this call needs (empty for none), without I/O; placed all or nothing with the rate limits."""
        ...

    def refused(self, state: GatewayState, ctx: CallContext, denied: BudgetDenied, now: float) -> RungwayError:
        """The error to answer when one of these holds had no room (the holder records the block)."""
        ...

    async def settled(
        self, state: GatewayState, ctx: CallContext, holds: Sequence[BudgetUse], moves: Sequence[tuple[int, int]]
    ) -> None:
        """After the call's real cost was added: (spend before, spend after) per hold, e.g. for threshold alerts."""
        ...

    def unsettled(self, holds: Sequence[BudgetUse]) -> None:
        """These holds could not be settled (the backend stayed down past the retries): reconcile them."""
        ...


class RoutePlanner(Protocol):
    """A capability's routing: which deployments a call may go to, in order, and how hard to try.

    Called once per call after attribution (the key, workload, user, tags and body are known), on the
    hot path: no I/O, microseconds. Answer None to leave the call to the core's default (the `models:`
    entry of the requested name, tried once); raise a `RungwayError` to refuse it (a blocked model,
    a model the workload may not use)."""

    def plan(self, state: GatewayState, ctx: CallContext) -> RoutePlan | None: ...


class AttemptObserver(Protocol):
    """Told of every try of every deployment (health, circuit breakers, incident records).

    `admit` is asked before each try, without I/O: False skips the deployment (an open circuit), and the
    call moves on to the next one without waiting. `finished` hears each try's outcome, on the hot path:
    keep it to counters in memory and hand anything slower to a background task."""

    def admit(self, deployment_name: str, now: float) -> bool: ...

    def finished(self, ctx: CallContext, attempt: Attempt) -> None: ...


@dataclass
class GatewayState:
    """One per server process; built by `rungway.server` and handed to every step."""

    config: Config
    engine: Engine
    directory: Directory
    providers: dict[str, Provider]
    prices: dict[str, Price | None]
    counters: Counters
    request_writer: BatchWriter[RequestRecord]
    metrics: GatewayMetrics
    writers: list[BatchWriter[Any]] = field(default_factory=list)
    read_writer: BatchWriter[ManagementRead] | None = None  # management reads (logs, usage, cost), off the answer
    slots: Slots = field(default_factory=Slots)  # what capabilities keep for the server's life (`StateKey`)
    budget_holders: list[BudgetHolder] = field(default_factory=list)
    route_planner: RoutePlanner | None = None  # at most one capability routes (`Installed.route_planner`)
    attempt_observers: list[AttemptObserver] = field(default_factory=list)
    output_guard: OutputGuard | None = None  # at most one capability checks answers (`Installed.output_guard`)
    in_flight: int = 0  # calls inside the pipeline, answered or not; tests wait for 0 before reading the store
