"""The routing door's records: where one call may go (a `RoutePlan`) and how each try went (`Attempt`).

The core gateway knows one way to route: the `models:` entry of the requested name, one deployment,
one try. A capability that routes (pins, fallback chains, weights, breakers) installs a
`RoutePlanner` and `AttemptObserver`s (`gateway/state.py`); the planner answers a `RoutePlan` for a
call, and the call step (`gateway/attempts.py`) tries its deployments in order under its
`AttemptPolicy`, telling every observer how each try went. A deployment is a `ModelRoute`: a
provider, an upstream model id and a price, named for the request log.
"""

from __future__ import annotations

from dataclasses import dataclass

from rungway.settings.config import ModelRoute

__all__ = ["DEFAULT_POLICY", "Attempt", "AttemptPolicy", "RoutePlan", "single_plan"]


@dataclass(frozen=True, slots=True)
class AttemptPolicy:
    """How hard to try: retries of a deployment on a retryable error, backoff, deadlines.

    `retries` are extra tries of the same deployment before moving to the next (0: fail over at once).
    Backoff before a retry is exponential from `backoff_base_s`, capped at `backoff_max_s`, with full
    jitter; an upstream's `Retry-After` is honoured up to `retry_after_max_s`, beyond which the next
    deployment is tried instead. `attempt_timeout_s` bounds one try (None: the provider's own timeout);
    `total_timeout_s` bounds them all (None: unbounded but for each try's own)."""

    retries: int = 0
    backoff_base_s: float = 0.1
    backoff_max_s: float = 4.0
    retry_after_max_s: float = 10.0
    attempt_timeout_s: float | None = None
    total_timeout_s: float | None = None


DEFAULT_POLICY = AttemptPolicy()


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """Where one call may go, best first: the deployments to try, the policy to try them under.

    `model` is the public model name the call resolved to (a pinned alias resolves to its snapshot's
    name; equal to the requested name when nothing resolved it further). `rule` names the routing
    rule that chose this plan, for the request log and the span (None: the default route)."""

    model: str
    deployments: tuple[ModelRoute, ...]
    policy: AttemptPolicy = DEFAULT_POLICY
    rule: str | None = None
    strategy: str | None = None  # how the order was chosen: fallback | weighted | least-latency | least-cost

    def __post_init__(self) -> None:
        if not self.deployments:
            raise ValueError("a route plan needs at least one deployment")


def single_plan(route: ModelRoute) -> RoutePlan:
    """The core's own plan: the one `models:` entry, tried once."""
    return RoutePlan(model=route.name, deployments=(route,))


@dataclass(slots=True)
class Attempt:
    """One try of one deployment within a call: told to every `AttemptObserver` when it ends.

    `outcome` is `ok`, or why it failed: `timeout`, `connect` (no answer: refused, reset, DNS),
    `5xx`, `429`, `4xx` (the caller's fault: never retried), `skipped` (an observer said the
    deployment is unavailable: an open circuit; no request was sent), `cancelled` (the client left)."""

    deployment: ModelRoute
    index: int  # 0 for the first try of the call
    started: float  # time.perf_counter() when the try began
    latency_ms: float = 0.0  # until the answer (JSON) or the first chunk (stream), or the failure
    outcome: str = "ok"
    upstream_status: int | None = None
    error: str | None = None  # the failure's message, bounded; never the caller's content
    retry_after_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"
