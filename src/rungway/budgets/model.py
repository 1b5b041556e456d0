"""Budgets: how much a workload, a user within a workload, a team or an API key may spend per period.

Pure rules only: which calls a budget covers, where its current period starts and ends (UTC),
which soft thresholds a spend crosses, and the counter key that holds a period's spend. Amounts
are integer nano-dollars, like every cost in Rungway, so spend reconciles with the request log.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from rungway.alerts.public import mask_urls, masked_url
from rungway.domain.pricing import NANO_PER_USD
from rungway.domain.timespec import DAY

__all__ = [
    "DEFAULT_THRESHOLDS",
    "MAX_SPEND_NANO",
    "Budget",
    "BudgetScope",
    "Period",
    "counter_ttl_s",
    "crossed_thresholds",
    "mask_urls",
    "masked_url",
    "parse_usd",
    "period_bounds",
    "valid_budget_name",
]

DEFAULT_THRESHOLDS = (50, 80, 100)
# The most spend a budget period is counted with: exact in Redis' Lua numbers (doubles) and far inside
# a signed 64-bit integer, so corrupt figures can neither break a sum nor overflow a counter (~9M USD).
MAX_SPEND_NANO = 2**53 - 1
MAX_TTL_S = int(400 * DAY)  # no counter outlives this, whatever a fixed budget's end
KEEP_AFTER_PERIOD_S = int(DAY)  # a period's counter outlives the period by a day (late settles, the report)
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")


class BudgetScope(enum.StrEnum):
    """What a budget covers."""

    WORKLOAD = "workload"
    USER = "user"  # one user within one workload
    TEAM = "team"
    KEY = "key"


class Period(enum.StrEnum):
    """How often a budget resets: every UTC day, ISO week (Monday), calendar month, or never (fixed)."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    FIXED = "fixed"


def valid_budget_name(name: str) -> bool:
    return bool(_NAME.fullmatch(name))  # not `match`: its `$` also matches before a final newline


def parse_usd(text: str | float | int) -> int:
    """`"12.50"`, `"$12.50"` or `12.5` USD as nano-dollars; ValueError names what to write."""
    raw = str(text).strip().lstrip("$").replace(",", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount in USD: write e.g. 25 or 12.50") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"{text!r}: a budget amount must be more than 0 USD")
    return int((value * NANO_PER_USD).to_integral_value(rounding="ROUND_HALF_UP"))


@dataclass(frozen=True, slots=True)
class Budget:
    """A spend limit on one scope; `hard` blocks calls that could exceed it, soft thresholds only alert."""

    id: str
    name: str
    scope: BudgetScope
    amount_nano: int
    period: Period
    workload: str | None = None
    user: str | None = None
    team: str | None = None
    key_id: str | None = None
    starts_at: float | None = None
    ends_at: float | None = None
    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS
    hard: bool = True
    webhook_url: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    # A default per-user budget: a user budget naming no user, applied to each user of the workload
    # separately (each with its own counter). The gateway binds it to the calling user (`bound`).
    each_user: bool = False

    @property
    def target(self) -> str:
        """What the budget covers, for people: `workload support-bot`, `user ann in support-bot`."""
        if self.scope is BudgetScope.USER and self.user is None:
            return f"each user in {self.workload}"
        if self.scope is BudgetScope.USER:
            return f"user {self.user} in {self.workload}" + (" (default per-user budget)" if self.each_user else "")
        if self.scope is BudgetScope.WORKLOAD:
            return f"workload {self.workload}"
        if self.scope is BudgetScope.TEAM:
            return f"team {self.team}"
        return f"key {self.key_id}"

    def covers(self, workload: str | None, user: str | None, team: str | None, key_id: str | None) -> bool:
        if self.scope is BudgetScope.WORKLOAD:
            return workload is not None and workload == self.workload
        if self.scope is BudgetScope.USER:
            named = self.each_user and self.user is None
            return user is not None and workload == self.workload and (named or user == self.user)
        if self.scope is BudgetScope.TEAM:
            return team is not None and team == self.team
        return key_id is not None and key_id == self.key_id

    def active(self, now: float) -> bool:
        """A fixed window applies only between its start and end; periodic budgets always apply."""
        if self.period is not Period.FIXED:
            return True
        return (self.starts_at or 0.0) <= now < (self.ends_at or float("inf"))

    def counter_key(self, period_start: float) -> str:
        """The counter holding this budget's spend in the period starting at `period_start` (per user for a
        default per-user budget bound to one)."""
        if self.each_user and self.user is not None:
            return f"budget:{self.id}:{int(period_start)}:user:{self.user}"
        return f"budget:{self.id}:{int(period_start)}"

    def bound(self, user: str) -> Budget:
        """A default per-user budget as it applies to one user: same id and limits, that user's counter."""
        return replace(self, user=user)

    def threshold_marks(self) -> list[tuple[int, int]]:
        """(percent, nano-dollars) for each soft threshold."""
        return [(p, self.amount_nano * p // 100) for p in self.thresholds]


def period_bounds(budget: Budget, now: float) -> tuple[float, float]:
    """[start, end) of the period containing `now`, in epoch seconds, computed in UTC."""
    if budget.period is Period.FIXED:
        return budget.starts_at or 0.0, budget.ends_at or float("inf")
    day = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if budget.period is Period.DAILY:
        start, end = day, day + timedelta(days=1)
    elif budget.period is Period.WEEKLY:
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=7)
    else:
        start = day.replace(day=1)
        end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start.timestamp(), end.timestamp()


def counter_ttl_s(period_end: float, now: float) -> int:
    """Seconds a period's counter (or a once-per-period alert claim) must live: to the period's end, at most
    400 days, and a day more."""
    return int(min(period_end - now, MAX_TTL_S)) + KEEP_AFTER_PERIOD_S


def crossed_thresholds(budget: Budget, before_nano: int, after_nano: int) -> list[int]:
    """The threshold percentages that a spend going from `before` to `after` crosses upwards."""
    return [p for p, mark in budget.threshold_marks() if before_nano < mark <= after_nano]
