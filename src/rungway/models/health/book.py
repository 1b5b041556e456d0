"""`HealthBook`: the gateway's `AttemptObserver` for failover, and the `HealthView` of every deployment.

`admit` and `finished` run on the hot path: they touch only this book's memory (one breaker per
deployment, created on first sight). Whatever must leave the process (the incidents recorder, the
replicas' shared state) listens for transitions (`listen`: the listener only queues) and takes the
failure counts gathered since it last asked (`take_deltas`), from a background task.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rungway.gateway.context import CallContext
from rungway.gateway.routing import Attempt
from rungway.models.health.breaker import Breaker, CircuitState, Transition
from rungway.models.health.config import BreakerSettings
from rungway.models.health.view import DeploymentHealth
from rungway.models.health.window import FAILURES
from rungway.settings.config import ModelRoute

__all__ = ["HealthBook"]

Listener = Callable[[Transition], None]


class HealthBook:
    """Rolling windows and a circuit breaker per deployment, fed by every try of every call.

    The clock is the book's own (monotonic by default; tests pass a fake one): the executor's `now`
    is not needed, so the book does not depend on which clock the executor reads."""

    def __init__(self, settings: BreakerSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock
        self._breakers: dict[str, Breaker] = {}
        self._listeners: list[Listener] = []
        self._deltas: dict[str, list[int]] = {}  # deployment -> [calls, failures] since take_deltas
        self.routes: dict[str, ModelRoute] = {}  # every deployment tried, by name (drills find them here)
        self._workloads: dict[str, set[str]] = {}  # deployment -> workloads whose calls tried it (scoped reads)

    def listen(self, listener: Listener) -> None:
        """Call `listener` with every transition (on the hot path: it must only queue)."""
        self._listeners.append(listener)

    def breaker(self, deployment: str) -> Breaker:
        found = self._breakers.get(deployment)
        if found is None:
            found = self._breakers[deployment] = Breaker(deployment, self.settings)
        return found

    # AttemptObserver -------------------------------------------------------------------------------
    def admit(self, deployment_name: str, now: float) -> bool:
        found = self._breakers.get(deployment_name)
        if found is None or found.state is CircuitState.CLOSED:
            return True
        admitted, moved = found.admit(self.clock())
        if moved is not None:
            self._tell(moved)
        return admitted

    def finished(self, ctx: CallContext, attempt: Attempt) -> None:
        outcome = attempt.outcome
        name = attempt.deployment.name
        if name not in self.routes:
            self.routes[name] = attempt.deployment
        key = getattr(ctx, "key", None)
        if key is not None:
            seen = self._workloads.get(name)
            if seen is None:
                seen = self._workloads[name] = set()
            if key.workload not in seen and len(seen) < 10_000:
                seen.add(key.workload)
        if outcome == "skipped":
            return
        moved = self.breaker(name).finished(self.clock(), outcome, attempt.latency_ms)
        if outcome != "cancelled":
            delta = self._deltas.get(name)
            if delta is None:
                delta = self._deltas[name] = [0, 0]
            delta[0] += 1
            if outcome in FAILURES or attempt.latency_ms >= self.settings.slow_call_s * 1000:
                delta[1] += 1
        if moved is not None:
            self._tell(moved)

    # Shared state (background) ----------------------------------------------------------------------
    def take_deltas(self) -> dict[str, tuple[int, int]]:
        """(calls, failures) per deployment since the last call; resets them."""
        taken = {name: (d[0], d[1]) for name, d in self._deltas.items() if d[0]}
        self._deltas.clear()
        return taken

    def open_for(self, deployment: str, seconds: float, cause: str = "shared") -> bool:
        """Open a deployment's circuit for `seconds` from now (another replica opened it); True if it
        was not open that long already."""
        moved = self.breaker(deployment).trip(self.clock(), cause, self.clock() + seconds)
        if moved is not None:
            self._tell(moved)
        return moved is not None

    def know(self, route: ModelRoute) -> None:
        """A deployment the configuration routes to: it gets a breaker before its first try."""
        self.routes.setdefault(route.name, route)
        self.breaker(route.name)

    def names(self) -> list[str]:
        """Every deployment seen (tried, or opened by another replica)."""
        return list(self._breakers)

    def _tell(self, moved: Transition) -> None:
        for listener in self._listeners:
            listener(moved)

    # HealthView ---------------------------------------------------------------------------------------
    def latency_ms(self, deployment: str) -> float | None:
        found = self._breakers.get(deployment)
        return None if found is None else found.window.ewma_ms

    def state(self, deployment: str) -> str:
        found = self._breakers.get(deployment)
        if found is None:
            return CircuitState.CLOSED.value
        if found.state is CircuitState.OPEN and self.clock() >= found.open_until:
            return CircuitState.HALF_OPEN.value  # the next call will be a probe
        return found.state.value

    def open_remaining_s(self, deployment: str) -> float:
        """Seconds left of an open circuit's cooldown (0 when not open)."""
        found = self._breakers.get(deployment)
        if found is None or found.state is not CircuitState.OPEN:
            return 0.0
        return max(0.0, found.open_until - self.clock())

    def snapshot(self, workload: str | None = None) -> list[DeploymentHealth]:
        now = self.clock()
        out = []
        for name in sorted(self._breakers):
            if workload is not None and workload not in self._workloads.get(name, ()):
                continue  # a workload sees the deployments its own calls tried
            found = self._breakers[name]
            counts = found.counts(now)
            left = self.open_remaining_s(name)
            out.append(
                DeploymentHealth(
                    deployment=name,
                    state=self.state(name),
                    calls=counts.calls,
                    failures=counts.failures,
                    timeouts=counts.timeouts,
                    slow=counts.slow,
                    failure_rate=round(counts.failure_rate, 4),
                    latency_ewma_ms=found.window.ewma_ms,
                    latency_p50_ms=found.window.p50_ms(),
                    open_for_s=round(left, 3) if left else None,
                    by_outcome=tuple(sorted(counts.by_outcome.items())),
                )
            )
        return out
