"""What other parts read of deployment health: `HealthView` (the routes slice's least-latency strategy,
the health API and pages). Reads are in memory and cheap enough for the hot path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["DeploymentHealth", "HealthView"]


@dataclass(frozen=True, slots=True)
class DeploymentHealth:
    """One deployment's health as shown: circuit state and the window's counts and latency."""

    deployment: str
    state: str  # closed | open | half-open
    calls: int
    failures: int
    timeouts: int
    slow: int
    failure_rate: float
    latency_ewma_ms: float | None
    latency_p50_ms: float | None
    open_for_s: float | None  # seconds left of the cooldown while open
    by_outcome: tuple[tuple[str, int], ...]


class HealthView(Protocol):
    """Deployment health from live traffic."""

    def latency_ms(self, deployment: str) -> float | None:
        """The EWMA of successful tries' latency (None: no successful try seen yet)."""
        ...

    def state(self, deployment: str) -> str:
        """`closed`, `open` or `half-open` (an unseen deployment is closed)."""
        ...

    def snapshot(self, workload: str | None = None) -> list[DeploymentHealth]:
        """Every deployment seen (None), or those the workload's own calls tried, for the API and the pages."""
        ...
