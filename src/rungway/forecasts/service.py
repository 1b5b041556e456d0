"""Spend forecasts and budget outlooks: the use cases behind `rungway forecast`, `/api/forecasts` and the page.

A forecast reads complete UTC days from the daily roll-up (`store.py`, brought up to date first: an
incremental step, a no-op when a server keeps it current), builds one series per key of the dimension asked
for (from its first day with spend to the last complete day, days without calls as zero) and fits the pure
model (`model.py`). A budget's outlook adds what it has spent so far this period (the request log, through
`rungway.budgets.public`) and the date the forecast spends the rest.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine

from rungway.budgets.public import (
    MAX_SPEND_NANO,
    Budget,
    BudgetScope,
    list_budgets,
    period_bounds,
    spend_in_log,
    visible_budgets,
)
from rungway.domain.timespec import DAY
from rungway.errors import InvalidRequest
from rungway.forecasts.config import ForecastSettings
from rungway.forecasts.model import MAX_HORIZON, Exhaustion, Forecast, exhaustion, fit_forecast
from rungway.forecasts.store import daily_spend, is_current, refresh_rollup, rollup_watermark, top_keys

__all__ = [
    "BY",
    "DAYS",
    "MAX_GROUPS",
    "BudgetOutlook",
    "GroupForecast",
    "SpendForecast",
    "budget_outlooks",
    "forecast_spend",
    "history_days",
    "last_complete_day",
]

BY = ("workload", "team", "model", "user")
DAYS = (7, 30)
MAX_GROUPS = 50  # the costliest keys of a dimension are forecast; the rest are listed as one count
BASE_HORIZON = 30  # forecasts are fitted 30 days out (so 7 and 30 share one fit) or to a budget's period end


def last_complete_day(engine: Engine, now: float) -> int:
    """The last UTC day (days since the epoch) wholly in the roll-up, after bringing it up to date when an hour
    is waiting (a running server's loop keeps it current, and recounts late rows, so a read seldom writes)."""
    if not is_current(engine, now):
        refresh_rollup(engine, now)
    watermark = rollup_watermark(engine)
    rolled = math.floor(watermark / DAY) if watermark is not None else math.floor(now / DAY)
    return min(math.floor(now / DAY), rolled) - 1


def _series(engine: Engine, dim: str, last: int, history: int, workload: str | None, key: str | None = None,
            keys: list[str | None] | None = None) -> dict[str | None, tuple[float, ...]]:  # fmt: skip
    """key -> its daily spend in nano-dollars, from its first day with spend to `last`."""
    days: dict[str | None, dict[int, float]] = {}
    for row in daily_spend(engine, dim, last - history + 1, last, workload, key, keys):
        if row.cost_nano:
            days.setdefault(row.key, {})[row.day] = days.get(row.key, {}).get(row.day, 0.0) + row.cost_nano
    out = {}
    for k, spend in days.items():
        first = min(spend)
        out[k] = tuple(spend.get(d, 0.0) for d in range(first, last + 1))
    return out


@dataclass(frozen=True, slots=True)
class GroupForecast:
    """One key's forecast over the next `days` days (nano-dollars), with what it spent in the last 7."""

    key: str | None
    history_days: int
    last_7d_nano: int
    lower_nano: int
    point_nano: int
    upper_nano: int
    method: str
    daily_nano: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SpendForecast:
    """Spend forecast by one dimension for the `days` days from `first_day` (days since the epoch, UTC)."""

    by: str
    days: int
    level: float
    workload: str | None
    first_day: int
    groups: list[GroupForecast]
    omitted: int
    generated_at: float = field(default_factory=time.time)


def _group(key: str | None, series: tuple[float, ...], days: int, level: float) -> GroupForecast:
    forecast = fit_forecast(series, BASE_HORIZON, level)
    lower, point, upper = forecast.over(days)
    return GroupForecast(key, len(series), round(sum(series[-7:])), round(lower), round(point),
                         round(min(upper, 2**62)), forecast.method,
                         tuple(round(v) for v in forecast.daily[:days]))  # fmt: skip


def forecast_spend(engine: Engine, by: str, days: int, workload: str | None, now: float | None = None,
                   settings: ForecastSettings | None = None) -> SpendForecast:  # fmt: skip
    """Forecast each key of `by` that spent in the last 30 days (the costliest MAX_GROUPS of them); InvalidRequest
    names a bad `by` or `days`."""
    if by not in BY:
        raise InvalidRequest(f"by {by!r} is not valid: use one of {', '.join(BY)}", param="by")
    if days not in DAYS:
        raise InvalidRequest(f"days {days!r} is not valid: use 7 or 30", param="days")
    settings = settings or ForecastSettings()
    now = time.time() if now is None else now
    last = last_complete_day(engine, now)
    keys, spending = top_keys(engine, by, last - 29, last, workload, MAX_GROUPS)
    series = _series(engine, by, last, settings.history_days, workload, keys=keys) if keys else {}
    groups = [_group(k, series[k], days, settings.level) for k in keys if k in series]
    return SpendForecast(by, days, settings.level, workload, last + 1, groups, max(0, spending - MAX_GROUPS))


def history_days(engine: Engine, workloads: list[str], now: float, history: int = 90) -> dict[str, int]:
    """Each workload's days of spend history (from its first day with spend to the last complete day)."""
    last = last_complete_day(engine, now)
    found: dict[str, int] = {}
    for row in daily_spend(engine, "workload", last - history + 1, last):
        if row.key in workloads and row.cost_nano:
            found[row.key] = max(found.get(row.key, 0), last - row.day + 1)
    return found


@dataclass(frozen=True, slots=True)
class BudgetOutlook:
    """A budget in its current period: spent, left, and when the forecast spends the rest (`exhaustion` None
    with a `note` when it is not forecast: a default per-user budget, an inactive fixed one, no history)."""

    budget: Budget
    period_start: float
    period_end: float
    spent_nano: int
    remaining_nano: int
    period_forecast_nano: int | None
    exhaustion: Exhaustion | None
    history_days: int
    note: str = ""


def _series_of(budget: Budget) -> tuple[str, str | None, str | None] | None:
    """(dimension, workload or None, key) of the daily spend a budget counts; None for a default per-user
    budget (no single series)."""
    if budget.scope is BudgetScope.WORKLOAD:
        return "workload", budget.workload, budget.workload
    if budget.scope is BudgetScope.USER and budget.user is not None:
        return "user", budget.workload, budget.user
    if budget.scope is BudgetScope.TEAM:
        return "team", None, budget.team
    if budget.scope is BudgetScope.KEY:
        return "key", None, budget.key_id
    return None


def _spent(engine: Engine, budget: Budget, start: float, end: float, now: float, watermark: float | None) -> int:
    """The budget's spend this period: the roll-up's whole days and hours before its watermark, and the request
    log only after it (an hour or so of calls, on the log's indexes), when the period starts at a UTC midnight;
    else the request log over the period."""
    spec = _series_of(budget)
    if spec is None or watermark is None or start % DAY or not start <= watermark:
        return spend_in_log(engine, budget, start, min(end, now + DAY))
    dim, workload, key = spec
    rolled = sum(r.cost_nano for r in daily_spend(engine, dim, int(start // DAY), int(watermark // DAY), workload, key))
    return min(rolled + spend_in_log(engine, budget, watermark, min(end, now + DAY)), MAX_SPEND_NANO)


def _outlook(engine: Engine, budget: Budget, now: float, last: int, settings: ForecastSettings,
             watermark: float | None) -> BudgetOutlook:  # fmt: skip
    start, end = period_bounds(budget, now)
    if not budget.active(now):
        return BudgetOutlook(budget, start, end, 0, budget.amount_nano, None, None, 0, "not active now")
    spent = _spent(engine, budget, start, end, now, watermark)
    remaining = budget.amount_nano - spent
    spec = _series_of(budget)
    if spec is None:
        return BudgetOutlook(budget, start, end, spent, remaining, None, None, 0,
                             "a default per-user budget: each user's spend is forecast apart (by user)")  # fmt: skip
    dim, workload, key = spec
    series = next(iter(_series(engine, dim, last, settings.history_days, workload, key).values()), ())
    if not series:
        return BudgetOutlook(budget, start, end, spent, remaining, None, None, 0, "no spend history yet")
    first_start = (last + 1) * DAY
    horizon = min(MAX_HORIZON, max(BASE_HORIZON, math.ceil((min(end, now + MAX_HORIZON * DAY) - first_start) / DAY)))
    forecast = fit_forecast(series, horizon, settings.level)
    out = exhaustion(forecast, remaining, now, first_start, end)
    period_total = _period_total(forecast, spent, now, first_start, end)
    note = "" if end - now <= MAX_HORIZON * DAY else f"the period ends more than {MAX_HORIZON} days from now"
    return BudgetOutlook(budget, start, end, spent, remaining, period_total, out, len(series), note)


def _period_total(forecast: Forecast, spent: int, now: float, first_start: float, end: float) -> int | None:
    """Spent so far plus the forecast from now to the period's end (None past the forecast's horizon)."""
    if end > first_start + forecast.horizon * DAY:
        return None
    ahead = [(first_start + (h + 1) * DAY, v) for h, v in enumerate(forecast.daily)]
    rest = 0.0
    for day_end, value in ahead:
        day_start = day_end - DAY
        overlap = max(0.0, min(day_end, end) - max(day_start, now))
        rest += value * overlap / DAY
    return spent + round(rest)


def budget_outlooks(engine: Engine, workload: str | None, admin: bool, now: float | None = None,
                    settings: ForecastSettings | None = None) -> list[BudgetOutlook]:  # fmt: skip
    """Every budget an admin sees (those covering `workload` when one is named), or the budgets a workload's
    key may read; soonest exhaustion first."""
    settings = settings or ForecastSettings()
    now = time.time() if now is None else now
    budgets = list_budgets(engine)
    if not admin:
        budgets = visible_budgets(engine, budgets, workload)
    elif workload is not None:
        budgets = [b for b in budgets if b.workload == workload]
    last = last_complete_day(engine, now)
    watermark = rollup_watermark(engine)
    found = [_outlook(engine, b, now, last, settings, watermark) for b in budgets]
    never = float("inf")
    return sorted(found, key=lambda o: (o.exhaustion.at or never if o.exhaustion else never, o.budget.name))
