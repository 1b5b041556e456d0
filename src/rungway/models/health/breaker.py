"""One deployment's circuit breaker: closed -> open -> half-open -> closed (or open again).

Pure state over a clock the caller passes (monotonic seconds): no I/O, no locks (one event loop).

- closed: every try is admitted; when the window holds at least `min_calls` tries and
  `failure_rate` of them failed, or the last `min_calls` tries all failed (a deployment that was healthy
  under heavy traffic a moment ago would otherwise need as many failures as it had successes), the
  circuit opens.
- open: nothing is admitted until `cooldown` has passed; then it is half-open.
- half-open: only `probes` probe calls are admitted; when all of them succeed it closes (the window
  starts afresh), when one fails it opens again for another cooldown.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rungway.models.health.config import BreakerSettings
from rungway.models.health.window import FAILURES, Counts, RollingWindow

__all__ = ["Breaker", "CircuitState", "Transition"]


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass(frozen=True, slots=True)
class Transition:
    """A circuit changed state. `at` is monotonic (the book's clock); `calls`/`failures` are the window's
    counts when it happened; `cause` is `traffic` (this replica's tries), `shared` (another replica's
    circuit or the replicas' combined counts) or `probe`."""

    deployment: str
    before: CircuitState
    after: CircuitState
    at: float
    calls: int
    failures: int
    cause: str


class Breaker:
    """The circuit of one deployment, with its rolling window of recent tries."""

    __slots__ = (
        "closed_at",
        "consecutive",
        "name",
        "open_until",
        "opened_at",
        "probe_ok",
        "probes_out",
        "settings",
        "state",
        "window",
    )

    def __init__(self, name: str, settings: BreakerSettings) -> None:
        self.name = name
        self.settings = settings
        self.window = RollingWindow(settings.window_s)
        self.state = CircuitState.CLOSED
        self.open_until = 0.0
        self.opened_at: float | None = None  # when the current incident began (closed -> open)
        self.probes_out = 0  # probes admitted in this half-open period
        self.probe_ok = 0
        self.closed_at: float | None = None  # when it last closed after an incident
        self.consecutive = 0  # failures in a row

    def admit(self, now: float) -> tuple[bool, Transition | None]:
        """Whether a try may go to this deployment now, and the transition that asking caused (open ->
        half-open once the cooldown is over)."""
        state = self.state
        if state is CircuitState.CLOSED:
            return True, None
        moved = None
        if state is CircuitState.OPEN:
            if now < self.open_until:
                return False, None
            moved = self._move(CircuitState.HALF_OPEN, now, "probe")
            self.probes_out = self.probe_ok = 0
        if self.probes_out < self.settings.probes:
            self.probes_out += 1
            return True, moved
        return False, moved

    def finished(self, now: float, outcome: str, latency_ms: float) -> Transition | None:
        """Count one try's outcome; the transition it caused, if any."""
        if outcome in ("skipped", "cancelled"):
            if outcome == "cancelled" and self.state is CircuitState.HALF_OPEN and self.probes_out > self.probe_ok:
                self.probes_out -= 1  # the probe said nothing: let another one go
            return None
        slow = latency_ms >= self.settings.slow_call_s * 1000
        self.window.record(now, outcome, latency_ms, slow)
        failed = outcome in FAILURES or slow
        self.consecutive = self.consecutive + 1 if failed else 0
        if self.state is CircuitState.HALF_OPEN:
            if failed:
                return self.trip(now, "probe")
            self.probe_ok += 1
            if self.probe_ok >= self.settings.probes:
                self.window.reset()
                return self._move(CircuitState.CLOSED, now, "probe")
            return None
        if self.state is CircuitState.CLOSED and failed:
            if self.consecutive >= self.settings.min_calls:
                return self.trip(now, "traffic")
            counts = self.window.counts(now)
            if counts.calls >= self.settings.min_calls and counts.failure_rate >= self.settings.failure_rate:
                return self.trip(now, "traffic")
        return None

    def trip(self, now: float, cause: str, until: float | None = None) -> Transition | None:
        """Open the circuit (for the cooldown, or until `until`); None when it was already open that long."""
        until = now + self.settings.cooldown_s if until is None else until
        if self.state is CircuitState.OPEN and self.open_until >= until:
            return None
        self.open_until = until
        if self.state is CircuitState.OPEN:
            return None  # extended, not a transition
        if self.state is CircuitState.CLOSED:
            self.opened_at = now
        return self._move(CircuitState.OPEN, now, cause)

    def counts(self, now: float) -> Counts:
        return self.window.counts(now)

    def _move(self, after: CircuitState, now: float, cause: str) -> Transition:
        counts = self.window.counts(now)
        moved = Transition(self.name, self.state, after, now, counts.calls, counts.failures, cause)
        self.state = after
        if after is CircuitState.CLOSED:
            self.consecutive = 0
            self.opened_at = None
            self.closed_at = now
        return moved
