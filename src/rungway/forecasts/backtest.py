"""Backtests of the spend forecast against the linear month-end extrapolation, pure (no I/O).

`synthetic_series` makes daily spend with what real LLM spend shows: a level, a trend (growth or decline), a
weekly season (quiet weekends), multiplicative noise, bursts (a batch job: a day at 2-5x) and now and then a
step (a feature launched). `backtest` forecasts from origins spread over each series and scores both methods
on the same days: WAPE of the h-day totals and of the single days, and how often the actual total fell inside
the forecast's interval (the baseline's interval is the normal one from its days' spread), with a standard error
that treats each series as one draw (its origins overlap, so they are not independent). `team_sums` adds
what a store's team and model series are: sums of workloads that grow at different rates. The bench
(bench/forecasts/) runs it on many seeds and on a store's history; a test runs a small one.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rungway.forecasts.model import fit_forecast, linear_month_end

__all__ = ["BacktestResult", "Series", "backtest", "synthetic_series", "team_sums"]

_Z80 = 1.2816  # the standard normal's 90th percentile: the baseline's 80% band


@dataclass(frozen=True, slots=True)
class Series:
    """A named daily spend series starting on `first_day` (days since the epoch, UTC)."""

    name: str
    first_day: int
    values: tuple[float, ...]


def synthetic_series(seed: int, days: int = 180, first_day: int = 20_089) -> Series:
    """One reproducible synthetic series (first_day 20089 = 2025-01-01)."""
    rng = random.Random(seed)
    level = rng.uniform(5, 500)
    growth = rng.uniform(-0.004, 0.012)  # per day, compounding
    weekend = rng.uniform(0.3, 0.95)  # weekend days at this share of a weekday
    noise = rng.uniform(0.05, 0.3)
    bursts = rng.uniform(0.0, 0.05)
    values = []
    for t in range(days):
        if rng.random() < 0.01:
            level *= rng.uniform(0.6, 1.8)  # a launch, a migration to a cheaper model
        weekday = (first_day + t + 3) % 7  # 1970-01-01 was a Thursday: 0 = Monday
        day = level * (1 + growth) ** t * (weekend if weekday >= 5 else 1.0)
        day *= math.exp(rng.gauss(0, noise) - noise**2 / 2)
        if rng.random() < bursts:
            day *= rng.uniform(2, 5)
        values.append(round(day, 4))
    return Series(f"synthetic-{seed}", first_day, tuple(values))


def team_sums(replicas: int, days: int = 180, first_seed: int = 1000, size: int = 4) -> list[Series]:
    """Store-like summed series: per replica, 2 * `size` synthetic workloads summed into two teams of `size`
    and one total (a model's or the organisation's spend)."""
    out: list[Series] = []
    for r in range(replicas):
        members = [synthetic_series(first_seed + r * 2 * size + i, days) for i in range(2 * size)]
        for name, group in (("team-a", members[:size]), ("team-b", members[size:]), ("total", members)):
            values = tuple(round(sum(m.values[d] for m in group), 4) for d in range(days))
            out.append(Series(f"sum-{r}-{name}", members[0].first_day, values))
    return out


@dataclass(slots=True)
class _Score:
    error: float = 0.0
    actual: float = 0.0
    inside: int = 0
    count: int = 0
    by_series: list[tuple[int, int]] = field(default_factory=list)  # (inside, count) per series, for the error

    def add(self, forecast: float, actual: float, lower: float, upper: float) -> None:
        self.error += abs(forecast - actual)
        self.actual += actual
        self.inside += lower <= actual <= upper
        self.count += 1

    def close_series(self) -> None:
        """Keep what the series just scored added (its origins' inside and count)."""
        inside = sum(i for i, _ in self.by_series)
        count = sum(c for _, c in self.by_series)
        self.by_series.append((self.inside - inside, self.count - count))

    @property
    def coverage_se(self) -> float:
        """The coverage's standard error with each series one draw (a cluster-robust ratio estimate)."""
        m, p = len(self.by_series), self.coverage
        if m < 2 or not self.count:
            return 0.0
        squares = sum((inside - p * count) ** 2 for inside, count in self.by_series)
        return math.sqrt(m / (m - 1) * squares) / self.count

    @property
    def wape(self) -> float:
        return self.error / self.actual if self.actual else 0.0

    @property
    def coverage(self) -> float:
        return self.inside / self.count if self.count else 0.0


@dataclass(slots=True)
class BacktestResult:
    """Per horizon (days): each method's WAPE of totals and interval coverage; daily WAPE over `daily_days`."""

    horizons: tuple[int, ...]
    level: float
    model: dict[int, _Score] = field(default_factory=dict)
    linear: dict[int, _Score] = field(default_factory=dict)
    model_daily: _Score = field(default_factory=_Score)
    linear_daily: _Score = field(default_factory=_Score)
    series: int = 0
    origins: int = 0

    def rows(self) -> list[dict[str, float | int | str]]:
        """One row per horizon and method, for a table."""
        out: list[dict[str, float | int | str]] = []
        for h in self.horizons:
            for name, scores in (("forecast", self.model), ("linear month-end", self.linear)):
                s = scores[h]
                out.append({"horizon_days": h, "method": name, "wape": round(s.wape, 4),
                            "coverage": round(s.coverage, 4), "coverage_se": round(s.coverage_se, 4),
                            "origins": s.count})  # fmt: skip
        return out


def _linear_band(history: Sequence[float], point: float, h: int) -> tuple[float, float]:
    recent = list(history[-30:])
    mean = sum(recent) / len(recent)
    spread = math.sqrt(sum((v - mean) ** 2 for v in recent) / max(len(recent) - 1, 1))
    return max(0.0, point - _Z80 * spread * math.sqrt(h)), point + _Z80 * spread * math.sqrt(h)


def backtest(
    series: Iterable[Series],
    horizons: tuple[int, ...] = (7, 30),
    *,
    min_history: int = 56,
    max_history: int = 120,
    step: int = 7,
    level: float = 0.8,
) -> BacktestResult:
    """Forecast from every `step`-th day of each series with at least `min_history` days before it and the
    longest horizon after it, with at most `max_history` days of history; score both methods."""
    result = BacktestResult(horizons, level)
    longest = max(horizons)
    for h in horizons:
        result.model[h], result.linear[h] = _Score(), _Score()
    for s in series:
        result.series += 1
        y = s.values
        for origin in range(min_history, len(y) - longest + 1, step):
            history = y[max(0, origin - max_history) : origin]
            first = s.first_day + origin - len(history)
            forecast = fit_forecast(history, longest, level)
            flat = linear_month_end(history, first, longest)
            result.origins += 1
            for h in horizons:
                actual = sum(y[origin : origin + h])
                lower, point, upper = forecast.over(h)
                result.model[h].add(point, actual, lower, upper)
                base = sum(flat[:h])
                result.linear[h].add(base, actual, *_linear_band(history, base, h))
            for d in range(min(horizons)):
                actual = y[origin + d]
                result.model_daily.add(forecast.daily[d], actual, 0.0, 0.0)
                result.linear_daily.add(flat[d], actual, 0.0, 0.0)
        for h in horizons:
            result.model[h].close_series()
            result.linear[h].close_series()
    return result
