"""Eval runs and their results: the typed records the runner, the store, the API and `eval compare` share.

An `EvalRun` is one pass of a dataset version (x `repeat`) through a model, optionally with a prompt version;
each case x repeat gives one `EvalResult` (the output, every assertion's `ScoreResult`, pass/fail, latency,
cost, the gateway's request and trace ids, or the error that stopped it). `RunTally` folds results one at a
time into the run's aggregates (pass rate with a Wilson interval, per-metric mean and pass rate, cost,
latency), so neither the runner nor the server ever holds a run's results to summarise it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from rungway.evals.scorers.base import JsonValue, ScoreResult, ToolCall
from rungway.evals.stats import pass_rate

__all__ = [
    "EvalResult",
    "EvalRun",
    "MetricAggregate",
    "MetricScore",
    "RunAggregates",
    "RunStatus",
    "RunTally",
    "Trigger",
]


class RunStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Trigger(StrEnum):
    CLI = "cli"
    SERVER = "server"
    API = "api"


@dataclass(frozen=True, slots=True)
class MetricScore:
    """One assertion's judgement of one result, under the metric it is aggregated as."""

    metric: str
    weight: float
    score: ScoreResult

    def to_json(self) -> dict[str, JsonValue]:
        s = self.score
        out: dict[str, JsonValue] = {
            "metric": self.metric,
            "weight": self.weight,
            "value": s.value,
            "passed": s.passed,
            "explanation": s.explanation,
            "scorer": s.scorer,
            "version": s.version,
        }
        if s.errored:
            out["errored"] = True
        if s.judges:
            out["judges"] = [
                {"model": j.model, "seed": j.seed, "reply": j.reply, "request_id": j.request_id} for j in s.judges
            ]
        return out


@dataclass(frozen=True, slots=True)
class EvalResult:
    """One case x repeat of a run. `error` is set when no answer could be had (the case is `errored`)."""

    case_key: str
    repeat: int
    output: str
    passed: bool
    score: float
    scores: tuple[MetricScore, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    latency_ms: float | None = None
    cost_usd: float | None = None
    request_id: str | None = None
    trace_id: str | None = None
    cached: bool = False
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "case_key": self.case_key,
            "repeat": self.repeat,
            "output": self.output,
            "passed": self.passed,
            "score": self.score,
            "scores": [s.to_json() for s in self.scores],
            "tool_calls": [{"name": t.name, "arguments": t.arguments} for t in self.tool_calls],
            "latency_ms": self.latency_ms,
            "cost_usd": self.cost_usd,
            "request_id": self.request_id,
            "trace_id": self.trace_id,
            "cached": self.cached,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class MetricAggregate:
    name: str
    count: int
    mean: float
    pass_rate: float
    errored: int

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "name": self.name,
            "count": self.count,
            "mean": self.mean,
            "pass_rate": self.pass_rate,
            "errored": self.errored,
        }


@dataclass(frozen=True, slots=True)
class RunAggregates:
    """A run's figures: cases (case x repeat results), passed, errored (no answer), the pass rate with its
    95% Wilson interval, per-metric aggregates, the summed cost and the mean latency."""

    cases: int
    passed: int
    errored: int
    pass_rate: float
    pass_rate_low: float
    pass_rate_high: float
    metrics: tuple[MetricAggregate, ...]
    cost_usd: float
    mean_latency_ms: float | None
    cached: int

    def to_json(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "passed": self.passed,
            "errored": self.errored,
            "pass_rate": self.pass_rate,
            "pass_rate_low": self.pass_rate_low,
            "pass_rate_high": self.pass_rate_high,
            "metrics": [m.to_json() for m in self.metrics],
            "cost_usd": self.cost_usd,
            "mean_latency_ms": self.mean_latency_ms,
            "cached": self.cached,
        }


@dataclass(slots=True)
class _MetricSum:
    count: int = 0
    total: float = 0.0
    passed: int = 0
    errored: int = 0


@dataclass(slots=True)
class RunTally:
    """Aggregates folded in one result at a time: constant memory in the number of results."""

    cases: int = 0
    passed: int = 0
    errored: int = 0
    cost_usd: float = 0.0
    latency_sum: float = 0.0
    latency_count: int = 0
    cached: int = 0
    metrics: dict[str, _MetricSum] = field(default_factory=dict)

    def add(
        self,
        passed: bool,
        error: bool,
        cost_usd: float | None,
        latency_ms: float | None,
        cached: bool,
        scores: list[tuple[str, float, bool, bool]],
    ) -> None:
        """One result: `scores` as (metric, value, passed, errored) tuples."""
        self.cases += 1
        self.passed += passed
        self.errored += error
        self.cached += cached
        if cost_usd:
            self.cost_usd += cost_usd
        if latency_ms is not None and not cached:
            self.latency_sum += latency_ms
            self.latency_count += 1
        for metric, value, ok, errored in scores:
            acc = self.metrics.get(metric)
            if acc is None:
                acc = self.metrics[metric] = _MetricSum()
            acc.count += 1
            acc.total += value
            acc.passed += ok
            acc.errored += errored

    def add_result(self, result: EvalResult) -> None:
        self.add(
            result.passed,
            result.error is not None,
            result.cost_usd,
            result.latency_ms,
            result.cached,
            [(s.metric, s.score.value, s.score.passed, s.score.errored) for s in result.scores],
        )

    def aggregates(self) -> RunAggregates:
        rate = pass_rate(self.passed, self.cases)
        metrics = tuple(
            MetricAggregate(name, m.count, m.total / m.count if m.count else 0.0,
                            m.passed / m.count if m.count else 0.0, m.errored)
            for name, m in sorted(self.metrics.items())
        )  # fmt: skip
        latency = self.latency_sum / self.latency_count if self.latency_count else None
        return RunAggregates(
            self.cases,
            self.passed,
            self.errored,
            rate.rate,
            rate.interval.low,
            rate.interval.high,
            metrics,
            round(self.cost_usd, 9),
            latency,
            self.cached,
        )


@dataclass(frozen=True, slots=True)
class EvalRun:
    """A run as stored: what ran (dataset, prompt, model, parameters, repeat), how it went and its figures."""

    id: str
    workload: str
    dataset: str
    dataset_version: str
    prompt: str | None
    prompt_version: int | None
    model: str | None
    parameters: Mapping[str, JsonValue]
    repeat: int
    status: RunStatus
    trigger: Trigger
    started_at: float
    finished_at: float | None
    git_commit: str | None
    git_branch: str | None
    aggregates: RunAggregates | None
    duration_s: float | None
    created_by: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workload": self.workload,
            "dataset": self.dataset,
            "dataset_version": self.dataset_version,
            "prompt": self.prompt,
            "prompt_version": self.prompt_version,
            "model": self.model,
            "parameters": dict(self.parameters),
            "repeat": self.repeat,
            "status": self.status.value,
            "trigger": self.trigger.value,
            "started_at": _iso(self.started_at),
            "finished_at": None if self.finished_at is None else _iso(self.finished_at),
            "duration_s": self.duration_s,
            "git_commit": self.git_commit,
            "git_branch": self.git_branch,
            "created_by": self.created_by,
            "error": self.error,
            **(self.aggregates.to_json() if self.aggregates is not None else {}),
        }


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
