"""The request log's breakdowns behind an anomaly: per dimension, each value's calls and metric mass in the
anomalous hour and in its baseline hours, and example trace ids (read once, when an episode opens).

Each breakdown is one grouped range query over `ix_requests_workload_ts` (the hour, or the few baseline hours),
capped at `MAX_VALUES` values per dimension: ten queries and one for the traces per new anomaly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, case, func, literal, or_, select

from rungway.anomalies.detector import DAY, HOUR, WEEK
from rungway.anomalies.explain import DIMENSIONS, Breakdown
from rungway.anomalies.rollup import REFUSED
from rungway.store.schema import requests

__all__ = ["MAX_TRACES", "MAX_VALUES", "baseline_hours", "example_traces", "read_breakdowns"]

MAX_VALUES = 50
MAX_TRACES = 5
_R = requests.c


def _mass(metric: str, expected: float) -> ColumnElement[Any] | None:
    """How much of the metric a call carries (None: the metric is not read from the request log)."""
    one = {
        "error_rate": _R.status >= 400,
        "latency_p95": _R.latency_ms > expected,
        "ttft_p95": _R.ttft_ms > expected,
        "refusal_rate": _R.guardrails.like(REFUSED),
        "filter_hit_rate": _R.guardrails.is_not(None),
    }
    if metric in one:
        return case((one[metric], 1), else_=0)
    if metric == "cost_per_hour":
        return _R.cost_nano / 1e9
    if metric == "tokens_per_call":
        return _R.tokens_in + _R.tokens_out
    return None


def _columns(dimension: str) -> tuple[ColumnElement[Any], ...]:
    return {
        "model": (_R.model_resolved,),
        "route": (func.coalesce(_R.route_rule, literal("(default)")),),
        "user": (_R.user_id,),
        "prompt_version": (_R.prompt_name, _R.prompt_version),
        "provider": (_R.provider,),
    }[dimension]


def _label(parts: Sequence[Any]) -> str:
    if len(parts) == 2:
        return "(none)" if parts[0] is None else f"{parts[0]}@{parts[1]}"
    return "(none)" if parts[0] is None else str(parts[0])


def baseline_hours(hour: float, weeks: int, present: Sequence[float]) -> list[float]:
    """The hours the seasonal baseline of `hour` was read from: the same hour in earlier weeks, else days."""
    have = set(present)
    weekly = [hour - k * WEEK for k in range(1, weeks + 1) if hour - k * WEEK in have]
    return weekly if len(weekly) >= 2 else [hour - k * DAY for k in range(1, 8) if hour - k * DAY in have]


def _breakdown(engine: Engine, workload: str, hours: Sequence[float], dimension: str, mass: ColumnElement[Any]) -> (
    dict[str, tuple[int, float]]
):  # fmt: skip
    columns = _columns(dimension)
    ranges = or_(*(and_(_R.ts_start >= h, _R.ts_start < h + HOUR) for h in hours))
    total = func.coalesce(func.sum(mass), 0)
    query = (
        select(*columns, func.count(), total)
        .where(_R.workload == workload, ranges)
        .group_by(*columns)
        .order_by(total.desc())
        .limit(MAX_VALUES)
    )
    out: dict[str, tuple[int, float]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            label = _label(row[: len(columns)])
            calls, found = out.get(label, (0, 0.0))
            out[label] = (calls + int(row[-2]), found + float(row[-1]))
    return out


def read_breakdowns(
    engine: Engine, workload: str, metric: str, hour: float, expected: float, baseline: Sequence[float]
) -> tuple[dict[str, Breakdown], dict[str, Breakdown]]:
    """(the anomalous hour's breakdowns, the baseline hours') per dimension; empty for an online score."""
    mass = _mass(metric, expected)
    if mass is None or not baseline:
        return {}, {}
    window: dict[str, Breakdown] = {d: _breakdown(engine, workload, [hour], d, mass) for d in DIMENSIONS}
    before: dict[str, Breakdown] = {d: _breakdown(engine, workload, baseline, d, mass) for d in DIMENSIONS}
    return window, before


def example_traces(
    engine: Engine, workload: str, metric: str, hour: float, expected: float, dimension: str | None, value: str | None
) -> tuple[str, ...]:
    """Up to `MAX_TRACES` trace ids of the anomalous hour's calls that carry the metric (of the named value)."""
    mass = _mass(metric, expected)
    if mass is None:
        return ()
    query = select(_R.trace_id).where(
        _R.workload == workload, _R.ts_start >= hour, _R.ts_start < hour + HOUR, _R.trace_id.is_not(None), mass > 0
    )
    if dimension is not None and value is not None and value != "(none)":
        columns = _columns(dimension)
        if len(columns) == 2:
            name, _, version = value.rpartition("@")
            query = query.where(
                _R.prompt_name == name, _R.prompt_version == (int(version) if version.isdigit() else -1)
            )
        elif dimension == "route" and value == "(default)":
            query = query.where(_R.route_rule.is_(None))
        else:
            query = query.where(columns[0] == value)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(mass.desc(), _R.ts_start).limit(MAX_TRACES))
        return tuple(str(r[0]) for r in rows)
