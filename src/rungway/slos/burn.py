"""The arithmetic of an SLO: SLI, error budget remaining, burn rates and the multi-window alert tiers.

As in the Google SRE workbook ("Alerting on SLOs"): the burn rate over a window is the share of bad events
in it divided by the error budget (1 - objective): 1x spends exactly the budget over the SLO's window.
An alert tier fires while the burn rate is at least its factor over BOTH its long and its short window
(the long one says the budget is really being spent, the short one that it still is, so the alert
clears soon after the problem stops):

    page    14.4x over 1h and 5m     (2% of a 30-day budget in an hour)
    page     6x   over 6h and 30m    (5% in six hours)
    ticket   3x   over 1d and 2h     (10% in a day)
    ticket   1x   over 3d and 6h     (10% in three days)

Nothing here does I/O: `SloStatus` is computed from the `Counts` of each window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["BURN_WINDOWS", "TIERS", "AlertTier", "Counts", "SloStatus", "burn_rate", "status_of", "window_label"]

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Counts:
    """Good and valid (total) events over one window."""

    good: int = 0
    total: int = 0

    @property
    def bad(self) -> int:
        return self.total - self.good

    @property
    def ratio(self) -> float | None:
        """The SLI: good / total, None without events."""
        return self.good / self.total if self.total else None

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.good + other.good, self.total + other.total)


@dataclass(frozen=True, slots=True)
class AlertTier:
    """One multi-window, multi-burn-rate condition."""

    name: str
    severity: str  # page or ticket
    factor: float
    long_s: float
    short_s: float


TIERS: tuple[AlertTier, ...] = (
    AlertTier("page-1h", "page", 14.4, HOUR, 5 * MINUTE),
    AlertTier("page-6h", "page", 6.0, 6 * HOUR, 30 * MINUTE),
    AlertTier("ticket-1d", "ticket", 3.0, DAY, 2 * HOUR),
    AlertTier("ticket-3d", "ticket", 1.0, 3 * DAY, 6 * HOUR),
)
BURN_WINDOWS: tuple[float, ...] = tuple(sorted({s for t in TIERS for s in (t.long_s, t.short_s)}))


def window_label(seconds: float) -> str:
    """5m, 30m, 1h, 2h, 6h, 1d, 3d, 30d."""
    if seconds % DAY == 0:
        return f"{int(seconds // DAY)}d"
    if seconds % HOUR == 0:
        return f"{int(seconds // HOUR)}h"
    return f"{int(seconds // MINUTE)}m"


def burn_rate(counts: Counts, objective: float) -> float:
    """How fast the window spends the budget: (bad / total) / (1 - objective); 0 without events."""
    if counts.total == 0:
        return 0.0
    return round((counts.bad / counts.total) / (1.0 - objective), 9)  # 1 - 0.99 is not 0.01 in binary


@dataclass(frozen=True, slots=True)
class SloStatus:
    """An SLO measured at one time: its window's counts and SLI, the budget left, burn rates and firing tiers."""

    at: float
    window: Counts
    objective: float
    burn: Mapping[str, float]  # window label -> burn rate
    firing: tuple[str, ...]  # tier names

    @property
    def sli(self) -> float | None:
        return self.window.ratio

    @property
    def budget_remaining(self) -> float | None:
        """1 - bad / (budget x total): 1 untouched, 0 spent, negative overspent; None without events."""
        if self.window.total == 0:
            return None
        return round(1.0 - self.window.bad / ((1.0 - self.objective) * self.window.total), 9)

    def to_json(self) -> dict[str, object]:
        return {
            "at": self.at, "good": self.window.good, "total": self.window.total, "sli": self.sli,
            "error_budget_remaining": self.budget_remaining, "burn_rates": dict(self.burn),
            "firing": list(self.firing),
        }  # fmt: skip


def status_of(at: float, objective: float, window: Counts, by_window: Mapping[float, Counts]) -> SloStatus:
    """The status from the SLO window's counts and the counts of each burn window (seconds -> counts)."""
    burn = {window_label(s): burn_rate(c, objective) for s, c in sorted(by_window.items())}

    def reaches(label: str, factor: float) -> bool:  # at the factor exactly, despite 1 - 0.99 != 0.01 in binary
        return burn.get(label, 0.0) >= factor * (1 - 1e-9)

    firing = tuple(t.name for t in TIERS if reaches(window_label(t.long_s), t.factor)
                   and reaches(window_label(t.short_s), t.factor))  # fmt: skip
    return SloStatus(at, window, objective, burn, firing)
