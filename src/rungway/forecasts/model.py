"""Spend forecasts, pure (no I/O): a daily cost series in, the next days' spend with a calibrated interval out.

The model is additive Holt-Winters with a damped trend and a weekly (day-of-week) season, fitted to the series
by a small grid search that minimises the error of 7-day totals from every past origin. Bursts (a day several
times the usual) are clipped before they move the level, so one expensive batch job does not raise the whole
forecast. The interval is calibrated out of sample: the model is run from every past origin (rolling origin),
the log ratio of the actual to the forecast h-day total is kept per horizon, and the interval's ends are the
conformal quantiles of those ratios, counting a longer horizon's overlapping windows as fewer independent draws
(`_effective`); horizons longer than the history allows widen the longest calibrated one by sqrt(h).
`linear_month_end` is the baseline it is measured against: the month-to-date daily run rate.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

__all__ = [
    "ENOUGH_HISTORY",
    "MAX_HORIZON",
    "MIN_HISTORY",
    "SEASON",
    "Exhaustion",
    "Forecast",
    "Params",
    "exhaustion",
    "fit_forecast",
    "linear_month_end",
]

SEASON = 7  # days in a week: spend follows the working week
MIN_HISTORY = 14  # two weeks: the shortest series the seasonal model fits; shorter ones get a flat run rate
ENOUGH_HISTORY = 28  # four weeks: enough past origins to calibrate a week's interval (the evidence check's bar)
MAX_HORIZON = 92  # days ahead anything is forecast (a fixed budget ending later is "not within 92 days")
MIN_RESIDUALS = 6  # a horizon is calibrated from at least this many past origins, else widened from a shorter one
CLIP = 4.0  # an observation further than this many mean absolute errors from the forecast is clipped
_GRID = tuple(
    (alpha, beta, gamma, phi)
    for alpha in (0.15, 0.4)
    for beta in (0.02, 0.1)
    for gamma in (0.05, 0.25)
    for phi in (0.85, 0.97)
)


@dataclass(frozen=True, slots=True)
class Params:
    """Smoothing weights: level, trend, season, and the trend's damping per day."""

    alpha: float
    beta: float
    gamma: float
    phi: float


@dataclass(frozen=True, slots=True)
class Forecast:
    """The next `horizon` days' spend: point forecasts per day and, per number of days h from the first,
    the cumulative total with its interval (`lower[h-1]`, `total[h-1]`, `upper[h-1]` cover days 1..h)."""

    daily: tuple[float, ...]
    total: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    level: float
    history_days: int
    method: str  # "seasonal-damped" or "run-rate" (history shorter than MIN_HISTORY)
    params: Params | None
    calibrated_days: int  # the longest horizon calibrated from past origins (longer ones are widened)

    @property
    def horizon(self) -> int:
        return len(self.daily)

    def over(self, days: int) -> tuple[float, float, float]:
        """(lower, point, upper) of the total over the next `days` days."""
        i = min(max(days, 1), self.horizon) - 1
        return self.lower[i], self.total[i], self.upper[i]


def _initial(y: tuple[float, ...], seasonal: bool) -> tuple[float, float, list[float]]:
    if not seasonal:
        return y[0], 0.0, [0.0] * SEASON
    first = sum(y[:SEASON]) / SEASON
    second = sum(y[SEASON : 2 * SEASON]) / SEASON
    return first, (second - first) / SEASON, [y[i] - first for i in range(SEASON)]


def _damped(phi: float, h: int) -> float:
    """phi + phi^2 + ... + phi^h."""
    return phi * (1 - phi**h) / (1 - phi) if phi < 1 else float(h)


def _run(y: tuple[float, ...], p: Params, seasonal: bool, horizon: int) -> list[list[float]]:
    """Filter the series; the forecasts for days t..t+horizon-1 made at each origin t (before seeing y[t]),
    from the first origin after the initial weeks to the end (the last one is the forecast)."""
    level, trend, season = _initial(y, seasonal)
    start = _origins(seasonal)
    scale = sum(abs(y[i] - y[i - 1]) for i in range(1, start)) / max(start - 1, 1) or abs(level) * 0.1 or 1.0
    made: list[list[float]] = []
    damped = [_damped(p.phi, h) for h in range(1, horizon + 1)]
    for t in range(start, len(y) + 1):
        path = [max(0.0, level + d * trend + season[(t + h) % SEASON]) for h, d in enumerate(damped)]
        made.append(path)
        if t == len(y):
            break
        expected = level + p.phi * trend + season[t % SEASON]
        seen = min(max(y[t], expected - CLIP * scale), expected + CLIP * scale)
        scale = 0.9 * scale + 0.1 * abs(seen - expected)
        previous = level
        level = p.alpha * (seen - season[t % SEASON]) + (1 - p.alpha) * (previous + p.phi * trend)
        trend = p.beta * (level - previous) + (1 - p.beta) * p.phi * trend
        if seasonal:
            season[t % SEASON] = p.gamma * (seen - level) + (1 - p.gamma) * season[t % SEASON]
    return made


def _origins(seasonal: bool) -> int:
    """The first origin `_run` forecasts from: after the two weeks that initialise the season."""
    return 2 * SEASON if seasonal else 1


def _fit(y: tuple[float, ...]) -> Params:
    """The grid's weights with the least absolute error of 7-day totals over every past origin."""
    best, best_error = Params(*_GRID[0]), math.inf
    start = _origins(True)
    for weights in _GRID:
        p = Params(*weights)
        error = 0.0
        for i, path in enumerate(_run(y, p, True, SEASON)):
            t = start + i
            if t + SEASON > len(y):
                break
            error += abs(sum(path) - sum(y[t : t + SEASON]))
        if error < best_error:
            best, best_error = p, error
    return best


def _quantile(sorted_values: list[float], q: float, effective: float | None = None) -> float:
    """The conformal order statistic: the ceil((m+1)q)-th smallest of m values for an upper end, floor for a lower
    one, where m is `effective` (as many independent draws as the values are worth; default: their count) and the
    rank is scaled back to the n values held."""
    n = len(sorted_values)
    m = float(n) if effective is None else effective
    rank = math.ceil((m + 1) * q) if q > 0.5 else math.floor((m + 1) * q)
    return sorted_values[min(max(math.ceil(rank / m * n - 1e-9), 1), n) - 1]


def _effective(count: int, h: int) -> float:
    """What `count` log ratios of h-day totals from consecutive origins are worth as independent draws.

    Windows a day apart share h-1 of their h days, so a month's ratios repeat each other far more than a week's:
    counted as independent, the 30-day band of a summed series (a team's, a model's) covered 75% on synthetic
    team sums. The week's band, calibrated as is, is the reference; a longer horizon's count shrinks by
    sqrt(SEASON / h) (n * SEASON / h, counting only the week's overlap, over-covered single series at 30 days).
    """
    if h <= SEASON:
        return float(count)
    return max(float(MIN_RESIDUALS), count * math.sqrt(SEASON / h))


def _log_ratio(actual: float, forecast: float, floor: float) -> float:
    return math.log((actual + floor) / (forecast + floor))


def _calibrate(
    y: tuple[float, ...], made: list[list[float]], start: int, horizon: int, level: float
) -> tuple[list[tuple[float, float]], int]:
    """Per horizon h = 1..horizon: the (lower, upper) log-ratio quantiles of past h-day totals."""
    floor = max(sum(y) / len(y), 1e-9) * 0.05
    tail = (1 - level) / 2
    bands: list[tuple[float, float]] = []
    calibrated = 0
    prefix = [0.0, *itertools.accumulate(y)]
    cumulative = [list(itertools.accumulate(path)) for path in made[:-1]]
    for h in range(1, horizon + 1):
        ratios = _ratios(prefix, cumulative, start, h, floor)
        if len(ratios) >= MIN_RESIDUALS:
            effective = _effective(len(ratios), h)
            lo, hi = _quantile(ratios, tail, effective), _quantile(ratios, 1 - tail, effective)
            if h > SEASON and calibrated >= SEASON:
                # Long totals come from few, overlapping origins: a month is no more certain than a week.
                week_lo, week_hi = bands[SEASON - 1]
                lo, hi = min(lo, week_lo), max(hi, week_hi)
            bands.append((lo, hi))
            calibrated = h
        elif bands:
            lo, hi = bands[calibrated - 1]
            widen = math.sqrt(h / calibrated)
            bands.append((lo * widen, hi * widen))
        else:
            bands.append((-math.inf, math.inf))
    return bands, calibrated


def _ratios(prefix: list[float], cumulative: list[list[float]], start: int, h: int, floor: float) -> list[float]:
    """The log ratios of actual to forecast h-day totals from the last 90 origins that have h days after them
    (`prefix`: the series' running sums; `cumulative`: each past origin's running forecast)."""
    n = len(prefix) - 1
    out = []
    for i, path in enumerate(cumulative):
        t = start + i
        if t + h > n:
            break
        out.append(_log_ratio(prefix[t + h] - prefix[t], path[h - 1], floor * h))
    return sorted(out[-90:])


def _run_rate(y: tuple[float, ...], horizon: int, level: float) -> Forecast:
    """History too short for the seasonal model: the mean day, and an interval from the spread of days."""
    n = len(y)
    mean = sum(y) / n if n else 0.0
    spread = math.sqrt(sum((v - mean) ** 2 for v in y) / (n - 1)) if n > 1 else mean
    z = _normal_quantile(1 - (1 - level) / 2) * 1.5  # few days: a wider band than the normal's
    total = tuple(mean * h for h in range(1, horizon + 1))
    lower = tuple(max(0.0, t - z * spread * math.sqrt(h)) for h, t in enumerate(total, 1))
    upper = tuple(t + z * spread * math.sqrt(h) for h, t in enumerate(total, 1))
    return Forecast((mean,) * horizon, total, lower, upper, level, n, "run-rate", None, 0)


def _normal_quantile(p: float) -> float:
    """The standard normal's quantile (Acklam's rational approximation is more than this needs: bisection)."""
    lo, hi = -10.0, 10.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@lru_cache(maxsize=1024)  # at most ~1,000 series of <= 366 days: a few MB
def fit_forecast(series: tuple[float, ...], horizon: int = 30, level: float = 0.8) -> Forecast:
    """Forecast the `horizon` days after `series` (one value per day, oldest first, no gaps).

    Pure and deterministic, so the same complete days give the same forecast (cached: a page and an API call
    on one day's history fit once)."""
    if not 1 <= horizon <= MAX_HORIZON:
        raise ValueError(f"horizon must be 1 to {MAX_HORIZON} days, got {horizon}")
    if not 0.5 <= level < 1:
        raise ValueError(f"level must be from 0.5 to 0.99, got {level}")
    y = tuple(max(0.0, float(v)) for v in series)
    if len(y) < MIN_HISTORY or not any(y):
        return _run_rate(y, horizon, level)
    p = _fit(y)
    start = _origins(True)
    made = _run(y, p, True, horizon)
    bands, calibrated = _calibrate(y, made, start, horizon, level)
    daily = tuple(made[-1])
    totals, lower, upper = [], [], []
    running = 0.0
    floor = max(sum(y) / len(y), 1e-9) * 0.05
    for h, value in enumerate(daily, 1):
        running += value
        lo, hi = bands[h - 1]
        totals.append(running)
        lower.append(max(0.0, (running + floor * h) * math.exp(lo) - floor * h) if lo > -math.inf else 0.0)
        upper.append((running + floor * h) * math.exp(hi) - floor * h if hi < math.inf else math.inf)
    return Forecast(daily, tuple(totals), tuple(lower), tuple(upper), level, len(y), "seasonal-damped", p, calibrated)


def linear_month_end(series: tuple[float, ...], first_day: int, horizon: int) -> tuple[float, ...]:
    """The baseline: the month-to-date mean day (the last 7 days' while the month has fewer than 7 complete
    days), held flat. `first_day` is the series' first day in days since the epoch (UTC)."""
    today = first_day + len(series)
    day_of_month = datetime.fromtimestamp(today * 86_400, UTC).day
    days = day_of_month - 1 if day_of_month - 1 >= SEASON else SEASON
    recent = series[-days:] if series else ()
    mean = sum(recent) / len(recent) if recent else 0.0
    return (mean,) * horizon


@dataclass(frozen=True, slots=True)
class Exhaustion:
    """When a budget runs out at the forecast rate: epoch seconds, with the range from the interval's ends
    (`earliest` from the upper path, `latest` from the lower); None = not within the forecast's horizon."""

    at: float | None
    earliest: float | None
    latest: float | None
    in_period: bool  # the point forecast runs out before the period ends


def _crossing(path: list[float], times: list[float], remaining: float) -> float | None:
    for i in range(1, len(path)):
        if path[i] >= remaining:
            before, after = path[i - 1], path[i]
            share = (remaining - before) / (after - before) if after > before else 0.0
            return times[i - 1] + share * (times[i] - times[i - 1])
    return None


def _spent_by(forecast: Forecast, elapsed_days: float) -> float:
    """The forecast's cumulative spend `elapsed_days` after its first day started."""
    whole = min(int(elapsed_days), forecast.horizon)
    done = forecast.total[whole - 1] if whole else 0.0
    return done + (forecast.daily[whole] * (elapsed_days - whole) if whole < forecast.horizon else 0.0)


def exhaustion(
    forecast: Forecast, remaining: float, now: float, first_day_start: float, period_end: float
) -> Exhaustion:
    """When spend from `now` on reaches `remaining` (what the budget has left). The forecast's first day
    starts at `first_day_start` (at or before `now`: what it forecast before `now` is spent already)."""
    if remaining <= 0:
        return Exhaustion(now, now, now, now < period_end)
    elapsed = max(0.0, (now - first_day_start) / 86_400)
    already = _spent_by(forecast, elapsed)
    times, point, low, high = [now], [0.0], [0.0], [0.0]
    for h in range(math.floor(elapsed) + 1, forecast.horizon + 1):
        times.append(first_day_start + h * 86_400)
        point.append(forecast.total[h - 1] - already)
        low.append(max(0.0, forecast.lower[h - 1] - already))
        high.append(forecast.upper[h - 1] - already)
    at = _crossing(point, times, remaining)
    return Exhaustion(at, _crossing(high, times, remaining), _crossing(low, times, remaining),
                      at is not None and at < period_end)  # fmt: skip
