"""Anomaly detection quality on synthetic seasonal series with planted anomalies, beside a static threshold.

Each series is six weeks of hours of one metric (an error rate, a p95 latency or a cost per hour) with a daily
and a weekly season, noise and a call volume that follows the same seasons. One anomaly is planted per series
after two clean weeks: a step (a level shift for 12-48 h), a spike (1-2 h) or a slow drift (a ramp over
2-4 days). Rungway's detector (`rungway.anomalies.detector`) runs hour by hour over each series exactly as the
server does; an anomaly is found when an episode opens between its start and 3 h after its end, and every
episode opened elsewhere is a false alarm. Reported per kind: recall, precision, the detection delay in hours,
and the static threshold beside it: a threshold at a multiple of each series' largest clean value, swept from
3x down to 0.05x; its best recall, and its false alarms at the highest threshold reaching the detector's recall
(or its own best recall, when it never reaches the detector's).

    .venv/bin/python bench/anomalies/quality.py [--series 90] [--seed 7] [--sensitivity 5]

Runs from a clone alone (nothing but the package and the standard library).
"""

from __future__ import annotations

import argparse
import math
import random
import time
from dataclasses import dataclass

from rungway.anomalies.detector import HOUR, WEEK, DetectorSettings, Direction, HourValue, detect_episodes

KINDS = ("step", "spike", "drift")
METRICS = ("error_rate", "latency_p95", "cost_per_hour")
WEEKS = 6
GRACE_H = 3
TRAINING_H = int(2 * WEEK / HOUR)


@dataclass(frozen=True, slots=True)
class Planted:
    """One planted anomaly: its kind and its hours [start, end)."""

    kind: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class SyntheticSeries:
    """A metric's hourly values with the anomaly planted in it."""

    metric: str
    values: tuple[HourValue, ...]
    planted: Planted

    @property
    def rate(self) -> bool:
        return self.metric == "error_rate"


def _season(hour_index: int) -> float:
    """Daily (peak mid-afternoon, quiet at night) times weekly (weekends at half)."""
    hour_of_day, day = hour_index % 24, (hour_index // 24) % 7
    daily = 1.0 + 0.7 * math.sin(2 * math.pi * (hour_of_day - 9) / 24)
    return max(daily, 0.15) * (0.5 if day >= 5 else 1.0)


def _lift(kind: str, strength: float, hour: float, planted: Planted) -> float:
    """The multiplier the anomaly applies at `hour` (1.0 outside it)."""
    if not planted.start <= hour < planted.end:
        return 1.0
    if kind == "drift":
        return 1.0 + strength * (hour - planted.start + HOUR) / (planted.end - planted.start)
    return 1.0 + strength


def _plant(rng: random.Random, kind: str) -> Planted:
    hours = int(WEEKS * WEEK / HOUR)
    length = {"step": rng.randint(12, 48), "spike": rng.randint(1, 2), "drift": rng.randint(48, 96)}[kind]
    start = rng.randint(TRAINING_H + 48, hours - length - 96)
    return Planted(kind, start * HOUR, (start + length) * HOUR)


def _strength(rng: random.Random, metric: str, kind: str) -> float:
    """How far the anomaly moves the metric: an incident, not a wobble (documented in docs/benchmarks.md)."""
    if metric == "error_rate":
        return {"step": rng.uniform(1.5, 3.0), "spike": rng.uniform(3.0, 6.0), "drift": rng.uniform(2.0, 3.0)}[kind]
    return {"step": rng.uniform(0.35, 0.7), "spike": rng.uniform(0.8, 1.5), "drift": rng.uniform(0.6, 1.0)}[kind]


def make_series(rng: random.Random, metric: str, kind: str) -> SyntheticSeries:
    """One six-week series of `metric` with one planted anomaly of `kind`."""
    planted = _plant(rng, kind)
    strength = _strength(rng, metric, kind)
    peak_volume = rng.choice((400, 1000, 3000))
    base = {"error_rate": rng.uniform(0.01, 0.04), "latency_p95": rng.uniform(400, 3000),
            "cost_per_hour": rng.uniform(2, 40)}[metric]  # fmt: skip
    out = []
    for i in range(int(WEEKS * WEEK / HOUR)):
        hour = i * HOUR
        season = _season(i)
        volume = max(1, round(peak_volume * season * rng.uniform(0.9, 1.1)))
        lift = _lift(kind, strength, hour, planted)
        if metric == "error_rate":
            p = min(base * lift, 1.0)
            errors = sum(1 for _ in range(volume) if rng.random() < p) if volume < 500 else round(
                rng.gauss(volume * p, math.sqrt(volume * p * (1 - p))))  # fmt: skip
            value = max(errors, 0) / volume
        elif metric == "latency_p95":
            value = base * (1 + 0.3 * (season - 0.5)) * lift * math.exp(rng.gauss(0, 0.05))
        else:
            value = base * season * lift * math.exp(rng.gauss(0, 0.06))
        out.append(HourValue(hour, value, volume))
    return SyntheticSeries(metric, tuple(out), planted)


def make_corpus(count: int, seed: int) -> list[SyntheticSeries]:
    """`count` series, the kinds and metrics in turn, from `seed` (the same corpus every time)."""
    rng = random.Random(seed)
    return [make_series(rng, METRICS[(i // 3) % 3], KINDS[i % 3]) for i in range(count)]


@dataclass
class KindScore:
    """One kind's outcome over its series."""

    planted: int = 0
    found: int = 0
    alarms: int = 0
    false_alarms: int = 0
    delays: list[float] | None = None

    @property
    def recall(self) -> float:
        return self.found / self.planted if self.planted else 0.0

    @property
    def precision(self) -> float:
        return (self.alarms - self.false_alarms) / self.alarms if self.alarms else 1.0


def _score_openings(series: SyntheticSeries, openings: list[float]) -> tuple[bool, int, float | None]:
    """(found, false alarms, delay in hours) of the episodes opened at `openings`."""
    p = series.planted
    inside = [t for t in openings if p.start <= t < p.end + GRACE_H * HOUR]
    delay = (min(inside) - p.start) / HOUR if inside else None
    return bool(inside), len(openings) - len(inside), delay


def detector_openings(series: SyntheticSeries, settings: DetectorSettings) -> list[float]:
    """When Rungway's detector opened an episode, judging every hour after the two training weeks."""
    episodes = detect_episodes(series.values, settings, Direction.UP, rate=series.rate, start=TRAINING_H * HOUR)
    return [e.opened_at for e in episodes]


def static_openings(series: SyntheticSeries, threshold: float, settings: DetectorSettings) -> list[float]:
    """A fixed threshold with the same volume floor and the same 'calm hours before it closes' rule."""
    out, open_, calm = [], False, 0
    for v in series.values[TRAINING_H:]:
        above = v.volume >= settings.min_volume and v.value > threshold
        if above and not open_:
            out.append(v.hour)
            open_, calm = True, 0
        elif open_:
            calm = 0 if above else calm + 1
            open_ = calm < settings.resolve_hours
    return out


def score(corpus: list[SyntheticSeries], settings: DetectorSettings) -> dict[str, KindScore]:
    """Rungway's detector, per kind."""
    out = {k: KindScore(delays=[]) for k in KINDS}
    for s in corpus:
        found, false, delay = _score_openings(s, openings := detector_openings(s, settings))
        k = out[s.planted.kind]
        k.planted += 1
        k.found += found
        k.alarms += len(openings)
        k.false_alarms += false
        if delay is not None and k.delays is not None:
            k.delays.append(delay)
    return out


@dataclass(frozen=True, slots=True)
class StaticPoint:
    """The static threshold at one multiple of each series' largest clean value."""

    multiple: float
    recall: float
    false_alarms: int


def static_curve(corpus: list[SyntheticSeries], kind: str, settings: DetectorSettings) -> list[StaticPoint]:
    """The static threshold over `kind`'s series, from 3x the clean maximum down to 0.05x."""
    chosen = [s for s in corpus if s.planted.kind == kind]
    peaks = [max(v.value for v in s.values[:TRAINING_H] if v.volume >= settings.min_volume) for s in chosen]
    out = []
    for step in range(300, 4, -1):
        found = false = 0
        for s, peak in zip(chosen, peaks, strict=True):
            hit, wrong, _ = _score_openings(s, static_openings(s, peak * step / 100, settings))
            found += hit
            false += wrong
        out.append(StaticPoint(step / 100, found / len(chosen) if chosen else 0.0, false))
    return out


def static_at_recall(curve: list[StaticPoint], recall: float) -> StaticPoint | None:
    """The highest threshold reaching `recall` (None: no static threshold does)."""
    return next((p for p in curve if p.recall >= recall - 1e-9), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=90)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sensitivity", type=float, default=DetectorSettings().sensitivity)
    args = parser.parse_args()
    settings = DetectorSettings(sensitivity=args.sensitivity)
    started = time.perf_counter()
    corpus = make_corpus(args.series, args.seed)
    scores = score(corpus, settings)
    took = time.perf_counter() - started
    print(f"{args.series} series x {WEEKS} weeks, seed {args.seed}, sensitivity {args.sensitivity}; {took:.1f} s")
    print("| kind | planted | recall | precision | false alarms | delay p50 / max (h) | static: best recall "
          "| static: false alarms at equal recall |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for kind, k in scores.items():
        delays = sorted(k.delays or [])
        delay = f"{delays[len(delays) // 2]:.0f} / {delays[-1]:.0f}" if delays else "-"
        curve = static_curve(corpus, kind, settings)
        best = max(p.recall for p in curve)
        same = static_at_recall(curve, min(k.recall, best))
        assert same is not None
        at = f"{same.false_alarms} at recall {same.recall:.2f} ({same.multiple:.2f}x the clean maximum)"
        print(f"| {kind} | {k.planted} | {k.recall:.2f} | {k.precision:.2f} | {k.false_alarms} | {delay} "
              f"| {best:.2f} | {at} |")  # fmt: skip


if __name__ == "__main__":
    main()
