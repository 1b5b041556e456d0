"""What is watched (the metrics, their direction and how an hour's value is read) and a stored anomaly.

Per workload and hour, from the request log's hourly roll-up: the error rate (status >= 400), p95 latency,
p95 time to first token (streamed calls), cost per hour, tokens per call, the refusal rate (calls a guardrail
blocked: the log records guardrail hits with their action, not the upstream's finish reason) and the
filter-hit rate (calls with any guardrail hit); and from the evals capability's score records with source
"online", each score's hourly mean (`score:<name>`, worse when it falls).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rungway.anomalies.detector import Direction

__all__ = ["METRICS", "SCORE_PREFIX", "Anomaly", "Metric", "metric_named"]

SCORE_PREFIX = "score:"


@dataclass(frozen=True, slots=True)
class Metric:
    """A watched metric: its name, which way is worse, whether it is a share of the hour's calls, its unit."""

    name: str
    direction: Direction
    rate: bool
    unit: str
    title: str


METRICS: tuple[Metric, ...] = (
    Metric("error_rate", Direction.UP, True, "share", "Error rate"),
    Metric("latency_p95", Direction.UP, False, "ms", "p95 latency"),
    Metric("ttft_p95", Direction.UP, False, "ms", "p95 time to first token"),
    Metric("cost_per_hour", Direction.UP, False, "USD", "Cost per hour"),
    Metric("tokens_per_call", Direction.UP, False, "tokens", "Tokens per call"),
    Metric("refusal_rate", Direction.UP, True, "share", "Refusal rate (guardrail blocks)"),
    Metric("filter_hit_rate", Direction.UP, True, "share", "Filter-hit rate (any guardrail hit)"),
)
_BY_NAME = {m.name: m for m in METRICS}


def metric_named(name: str) -> Metric:
    """A request-log metric by name, or an online score's mean (`score:<name>`, worse when it falls)."""
    found = _BY_NAME.get(name)
    if found is not None:
        return found
    if name.startswith(SCORE_PREFIX):
        return Metric(name, Direction.DOWN, False, "score", f"Online score {name[len(SCORE_PREFIX) :]} (mean)")
    raise KeyError(name)


@dataclass(frozen=True, slots=True)
class Anomaly:
    """One episode of one metric of one workload: open until its metric is back near its baseline."""

    id: str
    workload: str
    metric: str
    status: str  # open | resolved
    opened_at: float  # the first anomalous hour's start
    last_hour: float  # the newest hour judged in the episode
    resolved_at: float | None
    value: float  # the metric in the opening hour
    expected: float  # its seasonal baseline then
    z: float
    peak_z: float
    reason: str  # jump | sustained
    calm_hours: int
    dimension: str | None  # the breakdown that moved most: model, route, user, prompt_version, provider
    dimension_value: str | None
    explanation: dict[str, Any] = field(default_factory=dict)
    traces: tuple[str, ...] = ()
    created_at: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "workload": self.workload, "metric": self.metric, "status": self.status,
            "opened_at": self.opened_at, "last_hour": self.last_hour, "resolved_at": self.resolved_at,
            "value": self.value, "expected": self.expected, "z": self.z, "peak_z": self.peak_z,
            "reason": self.reason, "dimension": self.dimension, "dimension_value": self.dimension_value,
            "explanation": self.explanation, "traces": list(self.traces), "created_at": self.created_at,
        }  # fmt: skip
