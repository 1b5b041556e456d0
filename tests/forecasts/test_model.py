"""The pure forecast model: weekly season, trend, bursts, short histories, intervals and exhaustion dates."""

from __future__ import annotations

import math

import pytest

from rungway.forecasts.model import (
    MAX_HORIZON,
    Forecast,
    exhaustion,
    fit_forecast,
    linear_month_end,
)

DAY = 86_400.0


def weekly(days: int, weekday: float = 100.0, weekend: float = 40.0, growth: float = 0.0) -> tuple[float, ...]:
    """Day 0 is a Monday."""
    return tuple((weekend if t % 7 >= 5 else weekday) * (1 + growth) ** t for t in range(days))


def test_the_forecast_follows_the_weekly_season() -> None:
    f = fit_forecast(weekly(70), 14, 0.8)
    assert f.method == "seasonal-damped" and f.history_days == 70
    weekdays, weekends = f.daily[:5], f.daily[5:7]  # day 70 is a Monday
    assert min(weekdays) > 90 and max(weekends) < 50
    low, point, high = f.over(7)
    assert low <= point <= high and point == pytest.approx(580, rel=0.05)


def test_a_growing_series_is_forecast_above_its_month_to_date_run_rate() -> None:
    series = weekly(84, growth=0.01)
    point = fit_forecast(series, 30).over(30)[1]
    flat = sum(linear_month_end(series, 20_089, 30))
    actual = sum(weekly(114, growth=0.01)[84:])
    assert abs(point - actual) < abs(flat - actual)


def test_a_burst_does_not_carry_into_the_forecast() -> None:
    calm = weekly(63)
    burst = (*calm[:60], calm[60] * 8, *calm[61:])
    assert fit_forecast(burst, 7).over(7)[1] < fit_forecast(calm, 7).over(7)[1] * 1.25


def test_a_short_history_gets_a_run_rate_with_a_wide_interval() -> None:
    f = fit_forecast((10.0, 12.0, 8.0, 11.0, 9.0), 7)
    assert f.method == "run-rate" and f.params is None
    low, point, high = f.over(7)
    assert point == pytest.approx(70.0) and low < 65 and high > 75  # 1.5x the normal band of 5 days


def test_no_spend_forecasts_no_spend() -> None:
    assert fit_forecast((0.0,) * 30, 7).over(7) == (0.0, 0.0, 0.0)


def test_the_interval_widens_with_the_horizon() -> None:
    noisy = tuple(v * (1 + 0.2 * math.sin(t * 2.3)) for t, v in enumerate(weekly(90)))
    f = fit_forecast(noisy, 30)
    week, month = f.over(7), f.over(30)
    assert month[2] - month[0] > week[2] - week[0] > 0
    assert f.calibrated_days == 30


@pytest.mark.parametrize(("horizon", "level"), [(0, 0.8), (MAX_HORIZON + 1, 0.8), (7, 0.3), (7, 1.0)])
def test_bad_horizons_and_levels_are_refused(horizon: int, level: float) -> None:
    with pytest.raises(ValueError, match=r"horizon|level"):
        fit_forecast(weekly(30), horizon, level)


def flat_forecast(per_day: float, days: int = 30, spread: float = 0.1) -> Forecast:
    total = tuple(per_day * h for h in range(1, days + 1))
    return Forecast((per_day,) * days, total, tuple(t * (1 - spread) for t in total),
                    tuple(t * (1 + spread) for t in total), 0.8, 60, "seasonal-damped", None, days)  # fmt: skip


def test_exhaustion_is_when_the_forecast_spends_what_is_left() -> None:
    start = 20_000 * DAY
    out = exhaustion(flat_forecast(10.0), 35.0, start, start, start + 30 * DAY)
    assert out.at == pytest.approx(start + 3.5 * DAY)
    assert out.earliest is not None and out.latest is not None
    assert out.earliest < out.at < out.latest and out.in_period


def test_exhaustion_counts_from_now_within_the_first_day() -> None:
    start = 20_000 * DAY
    out = exhaustion(flat_forecast(10.0), 10.0, start + DAY / 2, start, start + 30 * DAY)
    assert out.at == pytest.approx(start + 1.5 * DAY)


def test_a_budget_that_lasts_past_its_period_or_the_horizon() -> None:
    start = 20_000 * DAY
    late = exhaustion(flat_forecast(10.0), 250.0, start, start, start + 7 * DAY)
    assert late.at == pytest.approx(start + 25 * DAY) and not late.in_period
    never = exhaustion(flat_forecast(10.0), 1_000.0, start, start, start + 7 * DAY)
    assert never.at is None and never.earliest is None and not never.in_period
    spent = exhaustion(flat_forecast(10.0), -5.0, start, start, start + 7 * DAY)
    assert spent.at == start and spent.in_period


def test_linear_month_end_uses_the_month_to_date_or_the_last_week() -> None:
    series = (1.0,) * 40 + (2.0,) * 10  # 20089 = 2025-01-01: the series ends on 2025-02-19
    assert linear_month_end(series, 20_089, 3) == ((9 + 20) / 19,) * 3  # the 19 complete days of February
    early = (1.0,) * 31 + (3.0,) * 2  # ends 2025-02-02: fewer than 7 days of February, the last 7 days
    assert linear_month_end(early, 20_089, 1)[0] == pytest.approx((5 + 6) / 7)
