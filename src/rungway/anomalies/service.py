"""Judging the closed hours of every watched workload and keeping its anomalies (the server's loop calls this).

`evaluate(engine, config, now)` rolls up the closed hours, then for each workload with recent traffic (or
named under `anomalies.workloads`) records whether it is watched and, if so, judges every hour since its
judged-through mark (the newest closed hour the first time, at most a day of hours at once) for every metric
with the detector: an anomalous hour opens an episode (its dimension and example traces read from the log),
calm hours resolve it. The mark moves with a compare-and-set in the same transaction as the anomalies, so
when replicas tick together one of them judges each hour: that one alone returns the changes to alert on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace

from sqlalchemy import Engine

from rungway.anomalies import store
from rungway.anomalies.breakdown import baseline_hours, example_traces, read_breakdowns
from rungway.anomalies.config import AnomaliesConfig
from rungway.anomalies.detector import (
    DAY,
    HOUR,
    WEEK,
    DetectorSettings,
    EpisodeState,
    HourValue,
    Judgement,
    SeasonalBaseline,
    judge,
    step_episode,
)  # fmt: skip
from rungway.anomalies.explain import explain
from rungway.anomalies.model import SCORE_PREFIX, Anomaly, metric_named
from rungway.anomalies.rollup import metric_series, read_hours, refresh_anomaly_hourly, rollup_watermark
from rungway.evals.public import hourly_score_means

__all__ = ["Change", "SeriesPoint", "anomaly_series", "evaluate", "evaluate_workload", "workload_series"]

MAX_HOURS_PER_TICK = 24


@dataclass(frozen=True, slots=True)
class Change:
    """An anomaly that opened or resolved in this evaluation (what the loop alerts on)."""

    kind: str  # opened | resolved
    anomaly: Anomaly


def workload_series(engine: Engine, workload: str, since: float, until: float) -> dict[str, dict[float, HourValue]]:
    """Every watched metric's hourly series of the workload in [since, until): the request log's and the
    online scores' means (`score:<name>`)."""
    out = metric_series(read_hours(engine, workload, since, until))
    for s in hourly_score_means(engine, workload, "online", since, until):
        out.setdefault(f"{SCORE_PREFIX}{s.name}", {})[s.hour] = HourValue(s.hour, s.mean, s.count)
    return out


def _episode_id(workload: str, metric: str, opened_at: float) -> str:
    digest = hashlib.sha256(f"{workload}\n{metric}\n{opened_at:.0f}".encode()).hexdigest()
    return f"anom_{digest[:24]}"


def _opened(engine: Engine, workload: str, metric: str, j: Judgement, series: Mapping[float, HourValue],
            settings: DetectorSettings, now: float) -> Anomaly:  # fmt: skip
    expected = j.expected if j.expected is not None else 0.0
    hours = baseline_hours(j.hour, settings.baseline_weeks, list(series))
    window, before = read_breakdowns(engine, workload, metric, j.hour, expected, hours)
    found = explain(window, before)
    traces = example_traces(engine, workload, metric, j.hour, expected, found.dimension, found.value)
    z = j.z if j.z is not None else 0.0
    return Anomaly(
        _episode_id(workload, metric, j.hour), workload, metric, "open", j.hour, j.hour, None, j.value, expected, z, z,
        j.reason or "jump", 0, found.dimension, found.value, found.to_json(), traces, now,
    )  # fmt: skip


def _judge_hours(engine: Engine, workload: str, hours: list[float], settings: DetectorSettings, now: float,
                 series: dict[str, dict[float, HourValue]], open_: dict[str, Anomaly]) -> tuple[
    list[Change], list[Anomaly], list[str]
]:  # fmt: skip
    changes: list[Change] = []
    touched: dict[str, Anomaly] = {}
    judged: set[str] = set()
    for name in sorted(set(series) | set(open_)):  # an open episode's metric is judged even with no data left
        points = series.get(name, {})
        metric = metric_named(name)
        baseline = SeasonalBaseline(points, settings, metric.direction, rate=metric.rate)
        current = open_.get(name)
        for hour in hours:
            j = judge(baseline, hour)
            if j.z is not None:
                judged.add(name)
            state = None if current is None else EpisodeState(current.opened_at, current.peak_z, current.calm_hours)
            state, change = step_episode(state, j, settings)
            if change == "opened":
                current = _opened(engine, workload, name, j, points, settings, now)
                changes.append(Change("opened", current))
            elif change == "resolved" and current is not None:
                current = replace(current, status="resolved", resolved_at=hour + HOUR, last_hour=hour, calm_hours=0)
                changes.append(Change("resolved", current))
            elif state is not None and current is not None:
                current = replace(current, last_hour=hour, peak_z=state.peak_z, calm_hours=state.calm_hours)
            if current is not None:
                touched[current.id] = current
            if change == "resolved":
                current = None
    return changes, list(touched.values()), sorted(judged)


def evaluate_workload(engine: Engine, workload: str, settings: DetectorSettings, through: float, now: float) -> (
    list[Change]
):  # fmt: skip
    """Judge the workload's hours up to `through` (the roll-up's watermark); the changes this process made."""
    watch = store.read_watch(engine, [workload]).get(workload)
    before = watch.judged_through if watch is not None else None
    first = before if before is not None else through - HOUR
    first = max(first, through - MAX_HOURS_PER_TICK * HOUR)
    if first >= through:
        return []
    hours = [first + i * HOUR for i in range(int((through - first) / HOUR))]
    series = workload_series(engine, workload, first - settings.baseline_weeks * WEEK - 8 * DAY, through)
    with engine.connect() as conn:
        open_ = store.open_anomalies(conn, workload)
    changes, touched, judged = _judge_hours(engine, workload, hours, settings, now, series, open_)
    with engine.begin() as conn:
        if not store.claim_hours(conn, workload, before, through, judged, now):
            return []  # another replica judged these hours
        for anomaly in touched:
            if anomaly.id in open_ or not store.insert_anomaly(conn, anomaly):
                store.update_anomaly(conn, anomaly)
    return changes


def evaluate(engine: Engine, config: AnomaliesConfig, now: float) -> list[Change]:
    """Roll up, then judge every watched workload's new closed hours; the changes to alert on."""
    refresh_anomaly_hourly(engine, now, config.baseline_weeks)
    through = rollup_watermark(engine)
    if through is None:
        return []
    names = set(store.hourly_workloads(engine, through - 2 * WEEK)) | set(config.workloads)
    changes: list[Change] = []
    for workload in sorted(names):
        watched = config.watches(workload)
        store.upsert_watch(engine, workload, watched, now)
        if watched:
            changes += evaluate_workload(engine, workload, config.settings_for(workload), through, now)
    return changes


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One hour of an anomaly's metric around it: the value, its seasonal baseline, the volume."""

    hour: float
    value: float
    expected: float | None
    volume: int
    z: float | None

    def to_json(self) -> dict[str, float | int | None]:
        return {"hour": self.hour, "value": self.value, "expected": self.expected, "volume": self.volume,
                "z": None if self.z is None else round(self.z, 2)}  # fmt: skip


def anomaly_series(engine: Engine, anomaly: Anomaly, settings: DetectorSettings, hours: int = 48) -> list[SeriesPoint]:
    """The metric's hours from a day before the anomaly opened to its end (at most `hours`), with baselines."""
    start = anomaly.opened_at - 24 * HOUR
    end = min(start + hours * HOUR, (anomaly.resolved_at or anomaly.last_hour + HOUR) + 12 * HOUR)
    series = workload_series(engine, anomaly.workload, start - settings.baseline_weeks * WEEK - 8 * DAY, end)
    points = series.get(anomaly.metric, {})
    metric = metric_named(anomaly.metric)
    baseline = SeasonalBaseline(points, settings, metric.direction, rate=metric.rate)
    return [SeriesPoint(h, p.value, baseline.expected(h), p.volume, baseline.z(h)[1])
            for h, p in sorted(points.items()) if start <= h < end]  # fmt: skip
