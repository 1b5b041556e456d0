"""The pure detector: seasonal baselines, robust scale, jumps and sustained drifts, volume floor, episodes."""

from __future__ import annotations

import math
import random

from rungway.anomalies.detector import (
    DAY,
    HOUR,
    WEEK,
    DetectorSettings,
    Direction,
    HourValue,
    SeasonalBaseline,
    detect_episodes,
    expected_at,
    judge,
    step_episode,
)  # fmt: skip

SETTINGS = DetectorSettings()


def seasonal(weeks: int = 4, seed: int = 3, volume: int = 500) -> list[HourValue]:
    """Latency-like values with a daily shape, quieter weekends and 3% noise."""
    rng = random.Random(seed)
    out = []
    for i in range(int(weeks * WEEK / HOUR)):
        daily = 1 + 0.5 * math.sin(2 * math.pi * (i % 24) / 24)
        weekly = 0.7 if (i // 24) % 7 >= 5 else 1.0
        out.append(HourValue(i * HOUR, 1000 * daily * weekly * (1 + rng.gauss(0, 0.03)), volume))
    return out


def test_the_baseline_is_the_same_hour_of_earlier_weeks() -> None:
    values = {v.hour: v for v in seasonal()}
    hour = 3 * WEEK + 5 * HOUR
    assert expected_at(values, hour, SETTINGS) == sorted(values[hour - k * WEEK].value for k in (1, 2, 3))[1]


def test_without_two_weeks_the_baseline_is_the_same_hour_of_earlier_days() -> None:
    values = {v.hour: v for v in seasonal(weeks=1)}
    hour = 5 * DAY + 7 * HOUR
    days = sorted(values[hour - k * DAY].value for k in range(1, 6))
    assert expected_at(values, hour, SETTINGS) == days[2]
    assert expected_at(values, 2 * DAY, SETTINGS) is None  # two days of history are not a baseline


def test_a_clean_seasonal_series_raises_no_alarm() -> None:
    assert detect_episodes(seasonal(), SETTINGS, start=2 * WEEK) == []


def test_a_step_opens_one_episode_that_resolves_after_calm_hours() -> None:
    values = seasonal()
    start, end = 3 * WEEK + 40 * HOUR, 3 * WEEK + 52 * HOUR
    stepped = [HourValue(v.hour, v.value * (1.5 if start <= v.hour < end else 1), v.volume) for v in values]
    episodes = detect_episodes(stepped, SETTINGS, start=2 * WEEK)
    assert len(episodes) == 1
    assert episodes[0].opened_at == start
    assert episodes[0].resolved_at == end + (SETTINGS.resolve_hours - 1) * HOUR


def test_a_seasonal_peak_that_a_fixed_threshold_would_flag_is_normal() -> None:
    values = seasonal()
    peak = max(values[int(2 * WEEK / HOUR) :], key=lambda v: v.value)
    baseline = SeasonalBaseline({v.hour: v for v in values}, SETTINGS, Direction.UP, rate=False)
    assert not judge(baseline, peak.hour).anomalous


def test_a_slow_drift_is_caught_as_sustained() -> None:
    values = seasonal()
    start = 3 * WEEK
    drift = [HourValue(v.hour, v.value * (1 + max(0.0, (v.hour - start) / HOUR) * 0.004), v.volume) for v in values]
    episodes = detect_episodes(drift, SETTINGS, start=2 * WEEK)
    assert episodes and episodes[0].opened_at > start
    baseline = SeasonalBaseline({v.hour: v for v in drift}, SETTINGS, Direction.UP, rate=False)
    reasons = {judge(baseline, start + h * HOUR).reason for h in range(7 * 24)}
    assert "sustained" in reasons


def test_hours_under_the_minimum_volume_are_not_judged() -> None:
    values = seasonal(volume=5)
    spiked = [HourValue(v.hour, v.value * (5 if v.hour == 3 * WEEK else 1), v.volume) for v in values]
    assert detect_episodes(spiked, SETTINGS, start=2 * WEEK) == []
    judged = judge(SeasonalBaseline({v.hour: v for v in spiked}, SETTINGS, Direction.UP, rate=False), 3 * WEEK)
    assert judged.z is None and not judged.anomalous


def test_a_falling_score_is_an_anomaly_and_a_rising_one_is_not() -> None:
    rng = random.Random(5)
    scores = [HourValue(i * HOUR, 0.8 + rng.gauss(0, 0.01), 100) for i in range(int(3 * WEEK / HOUR))]
    hour = 2 * WEEK + 30 * HOUR
    down = [HourValue(v.hour, 0.5 if v.hour == hour else v.value, v.volume) for v in scores]
    up = [HourValue(v.hour, 0.99 if v.hour == hour else v.value, v.volume) for v in scores]
    assert judge(SeasonalBaseline({v.hour: v for v in down}, SETTINGS, Direction.DOWN, rate=False), hour).anomalous
    assert not judge(SeasonalBaseline({v.hour: v for v in up}, SETTINGS, Direction.DOWN, rate=False), hour).anomalous


def test_a_rate_over_few_calls_needs_a_bigger_move() -> None:
    def rates(volume: int, spike: float) -> list[HourValue]:
        return [HourValue(i * HOUR, spike if i == 24 * 9 else 0.02, volume) for i in range(24 * 10)]

    hour = 9 * DAY
    few = SeasonalBaseline({v.hour: v for v in rates(40, 0.1)}, SETTINGS, Direction.UP, rate=True)
    many = SeasonalBaseline({v.hour: v for v in rates(20_000, 0.1)}, SETTINGS, Direction.UP, rate=True)
    assert not judge(few, hour).anomalous  # 4 errors in 40 calls can be chance
    assert judge(many, hour).anomalous  # 2,000 in 20,000 cannot


def test_an_episode_ignores_hours_without_data() -> None:
    settings = DetectorSettings(resolve_hours=2)
    values = {h * HOUR: HourValue(h * HOUR, 1.0, 100) for h in range(3)}
    baseline = SeasonalBaseline(values, settings, Direction.UP, rate=False)
    state, change = step_episode(None, judge(baseline, 99 * HOUR), settings)
    assert state is None and change is None
