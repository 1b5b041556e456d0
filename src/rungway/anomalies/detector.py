"""The anomaly detector: pure functions over hourly series, no I/O (the server and the benchmark share it).

A metric's value in an hour is compared with its own seasonal baseline, not with a fixed threshold:

- expected value: the median of the same hour of the week in the previous weeks (at least two of
  them), else the median of the same hour of the day in the previous days (at least three);
- scale: the median absolute deviation (x 1.4826) of the relative residuals (value / expected - 1) over
  the last week of hours (noise grows with the level: a busy afternoon's cost wobbles more in dollars
  than a quiet night's), floored by `relative_floor` and, for rates, by the binomial noise of the
  hour's volume (a rate over 20 calls moves more than one over 20,000);
- the robust z-score (value - expected) / scale, signed so that "worse" is positive (error rate up,
  online score down, ...). An hour is anomalous when z >= `sensitivity` (a spike or a step), or when the
  mean z of the last `sustain_hours` hours and the hour itself are both >= `sensitivity` / 2 (a slow
  drift that never jumps). Hours under `min_volume` are neither judged nor used in a baseline.

An episode opens on the first anomalous hour and resolves after `resolve_hours` calm hours in a row
(z < `sensitivity` / 2), so a step lasting a day is one anomaly, not twenty-four.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "DAY",
    "HOUR",
    "WEEK",
    "DetectorSettings",
    "Direction",
    "Episode",
    "EpisodeState",
    "HourValue",
    "Judgement",
    "SeasonalBaseline",
    "detect_episodes",
    "expected_at",
    "judge",
    "step_episode",
]

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY
MAD_TO_SIGMA = 1.4826
_TINY = 1e-9


class Direction(Enum):
    """Which way a metric goes wrong."""

    UP = "up"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    """How sure the detector must be, and how much history and volume it needs."""

    sensitivity: float = 5.0
    min_volume: int = 30
    baseline_weeks: int = 4
    baseline_days: int = 7
    sustain_hours: int = 6
    resolve_hours: int = 3
    relative_floor: float = 0.03


@dataclass(frozen=True, slots=True)
class HourValue:
    """A metric's value in one hour (`hour`: epoch seconds of its start) and the volume behind it."""

    hour: float
    value: float
    volume: int


@dataclass(frozen=True, slots=True)
class Judgement:
    """What the detector thinks of one hour of one metric."""

    hour: float
    value: float
    expected: float | None
    scale: float | None
    z: float | None
    anomalous: bool
    reason: str | None  # "jump" | "sustained" | None


@dataclass(frozen=True, slots=True)
class EpisodeState:
    """An open episode's progress (None between episodes)."""

    opened_at: float
    peak_z: float
    calm_hours: int


@dataclass(frozen=True, slots=True)
class Episode:
    """A finished or still open episode over a series (the benchmark's and the tests' view)."""

    opened_at: float
    resolved_at: float | None
    peak_z: float


Series = Mapping[float, HourValue]


def _usable(point: HourValue | None, settings: DetectorSettings) -> bool:
    return point is not None and point.volume >= settings.min_volume and math.isfinite(point.value)


class SeasonalBaseline:
    """A series with its baselines, each hour's expected value and z-score computed once (memoised)."""

    def __init__(self, series: Series, settings: DetectorSettings, direction: Direction, *, rate: bool) -> None:
        self.series = series
        self.settings = settings
        self.direction = direction
        self.rate = rate
        self._expected: dict[float, float | None] = {}
        self._z: dict[float, tuple[float | None, float | None]] = {}

    def expected(self, hour: float) -> float | None:
        """Same hour of the week in earlier weeks (two or more), else of the day in earlier days (three or more)."""
        if hour in self._expected:
            return self._expected[hour]
        settings, series = self.settings, self.series
        weekly = [p.value for k in range(1, settings.baseline_weeks + 1)
                  if (p := series.get(hour - k * WEEK)) is not None and _usable(p, settings)]  # fmt: skip
        found: float | None = None
        if len(weekly) >= 2:
            found = statistics.median(weekly)
        else:
            daily = [p.value for k in range(1, settings.baseline_days + 1)
                     if (p := series.get(hour - k * DAY)) is not None and _usable(p, settings)]  # fmt: skip
            if len(daily) >= 3:
                found = statistics.median(daily)
        self._expected[hour] = found
        return found

    def residual_scale(self, hour: float) -> float | None:
        """MAD (as a standard deviation) of the relative residuals (value / expected - 1) in the week before."""
        residuals = []
        for k in range(1, 24 * 7 + 1):
            t = hour - k * HOUR
            point = self.series.get(t)
            if point is None or not _usable(point, self.settings):
                continue
            expected = self.expected(t)
            if expected is not None:
                residuals.append((point.value - expected) / max(abs(expected), _TINY))
        if len(residuals) < 12:
            return None
        centre = statistics.median(residuals)
        return MAD_TO_SIGMA * statistics.median([abs(r - centre) for r in residuals])

    def z(self, hour: float) -> tuple[float | None, float | None]:
        """(scale, z) of `hour`, z signed so that worse is positive; (None, None) without enough data."""
        if hour in self._z:
            return self._z[hour]
        found: tuple[float | None, float | None] = (None, None)
        point = self.series.get(hour)
        expected = self.expected(hour)
        scale = self.residual_scale(hour) if point is not None and expected is not None else None
        if point is not None and expected is not None and scale is not None and _usable(point, self.settings):
            scale = max(scale, self.settings.relative_floor) * max(abs(expected), _TINY)
            if self.rate:  # binomial noise of this hour's volume, with a continuity correction for small counts
                n = max(point.volume, 1)
                p = min(max(expected, 1.0 / n), 1.0)
                scale = max(scale, math.sqrt(p * (1 - p) / n) + 1.0 / n)
            z = (point.value - expected) / scale
            found = (scale, z if self.direction is Direction.UP else -z)
        self._z[hour] = found
        return found


def expected_at(series: Series, hour: float, settings: DetectorSettings) -> float | None:
    """The seasonal baseline of `hour` alone (see `SeasonalBaseline.expected`)."""
    return SeasonalBaseline(series, settings, Direction.UP, rate=False).expected(hour)


def judge(baseline: SeasonalBaseline, hour: float) -> Judgement:
    """Judge `hour` of the baseline's series against its seasonal baseline."""
    settings = baseline.settings
    point = baseline.series.get(hour)
    value = point.value if point is not None else math.nan
    expected = baseline.expected(hour)
    scale, z = baseline.z(hour)
    if z is None:
        return Judgement(hour, value, expected, scale, None, False, None)
    if z >= settings.sensitivity:
        return Judgement(hour, value, expected, scale, z, True, "jump")
    half = settings.sensitivity / 2
    if z >= half and settings.sustain_hours > 1:
        recent = [z]
        for k in range(1, settings.sustain_hours):
            earlier = baseline.z(hour - k * HOUR)[1]
            if earlier is None:
                break
            recent.append(earlier)
        if len(recent) == settings.sustain_hours and sum(recent) / len(recent) >= half:
            return Judgement(hour, value, expected, scale, z, True, "sustained")
    return Judgement(hour, value, expected, scale, z, False, None)


def step_episode(
    state: EpisodeState | None, judgement: Judgement, settings: DetectorSettings
) -> tuple[EpisodeState | None, str | None]:
    """The episode after this hour and what changed: "opened", "resolved" or None."""
    z = judgement.z if judgement.z is not None else 0.0
    if state is None:
        if judgement.anomalous:
            return EpisodeState(judgement.hour, z, 0), "opened"
        return None, None
    if judgement.anomalous or z >= settings.sensitivity / 2:
        return EpisodeState(state.opened_at, max(state.peak_z, z), 0), None
    if judgement.z is None and judgement.expected is None:
        return state, None  # no data this hour: the episode neither grows nor calms
    calm = state.calm_hours + 1
    if calm >= settings.resolve_hours:
        return None, "resolved"
    return EpisodeState(state.opened_at, state.peak_z, calm), None


def detect_episodes(
    values: Sequence[HourValue],
    settings: DetectorSettings,
    direction: Direction = Direction.UP,
    *,
    rate: bool = False,
    start: float | None = None,
) -> list[Episode]:
    """Run the detector hour by hour over a whole series (from `start`), as the server would; every episode."""
    baseline = SeasonalBaseline({v.hour: v for v in values}, settings, direction, rate=rate)
    state: EpisodeState | None = None
    out: list[Episode] = []
    for point in sorted(values, key=lambda v: v.hour):
        if start is not None and point.hour < start:
            continue
        judgement = judge(baseline, point.hour)
        before = state
        state, change = step_episode(state, judgement, settings)
        if change == "resolved" and before is not None:
            out.append(Episode(before.opened_at, point.hour, before.peak_z))
    if state is not None:
        out.append(Episode(state.opened_at, None, state.peak_z))
    return out
