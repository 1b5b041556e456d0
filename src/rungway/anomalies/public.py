"""What other capabilities may use of anomaly detection: each workload's watch state, for the assessment.

The assessment's `continuous_evaluation` check asks whether production is watched for anomalies:

    states = watch_states(engine, ["support-bot"], since=datetime.now(UTC) - timedelta(days=30))
    state = states["support-bot"]
    state.enabled            # the newest server's `anomalies:` configuration watches the workload
    state.evaluated          # and judged its hours in the window (last_evaluated_at >= since)
    state.last_evaluated_at  # when (None: never)
    state.metrics            # the metrics judged then (`error_rate`, ..., `score:<name>` for online scores)
    state.open_anomalies     # episodes open now
    state.anomalies_in_window  # episodes active in the window (opened, or still judged, since `since`)

A workload nobody recorded (no server with this capability saw its traffic) is `WatchState(enabled=False, ...)`
with `known=False`. Reads two small tables (`anomaly_watch`, `anomalies`); tables that do not exist yet (a store
without this capability's migrations) read as unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, inspect, select

from rungway.anomalies.store import anomalies, anomaly_watch, read_watch

__all__ = ["WatchState", "watch_states"]


@dataclass(frozen=True, slots=True)
class WatchState:
    """Whether a workload's production metrics are watched for anomalies, and what the watch found."""

    workload: str
    known: bool
    enabled: bool
    last_evaluated_at: float | None
    evaluated: bool
    metrics: tuple[str, ...]
    open_anomalies: int
    anomalies_in_window: int


def watch_states(engine: Engine, workloads: Sequence[str], since: datetime) -> Mapping[str, WatchState]:
    """Per workload, whether anomaly detection is on, was evaluated since `since`, and its anomalies."""
    cutoff = since.timestamp()
    names = list(workloads)
    tables = set(inspect(engine).get_table_names())
    if anomaly_watch.name not in tables or anomalies.name not in tables:
        return {w: WatchState(w, False, False, None, False, (), 0, 0) for w in names}
    rows = read_watch(engine, names)
    c = anomalies.c
    counted = select(c.workload, func.count()).where(c.workload.in_(names)).group_by(c.workload)
    with engine.connect() as conn:
        open_: dict[str, int] = {str(w): int(n) for w, n in conn.execute(counted.where(c.status == "open"))}
        recent: dict[str, int] = {str(w): int(n) for w, n in conn.execute(counted.where(c.last_hour >= cutoff))}
    out = {}
    for w in names:
        row = rows.get(w)
        last = row.evaluated_at if row is not None else None
        out[w] = WatchState(
            w, row is not None, bool(row and row.enabled), last, last is not None and last >= cutoff,
            row.metrics if row is not None else (), int(open_.get(w, 0)), int(recent.get(w, 0)),
        )  # fmt: skip
    return out
