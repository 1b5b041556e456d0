"""A run's aggregates folded one result at a time: pass rate and Wilson interval, metrics, cost, latency, cache."""

from __future__ import annotations

import pytest

from rungway.evals.runs.model import EvalResult, MetricScore, RunTally
from rungway.evals.scorers import ScoreResult
from rungway.evals.stats import wilson_interval


def _result(passed: bool, value: float, cost: float | None = 0.01, cached: bool = False) -> EvalResult:
    score = ScoreResult(value, passed, "why", "contains", "1")
    return EvalResult("k", 0, "out", passed, value, (MetricScore("contains", 1.0, score),), latency_ms=100.0,
                      cost_usd=cost, cached=cached)  # fmt: skip


def test_the_tally_gives_the_pass_rate_interval_metrics_cost_and_latency() -> None:
    tally = RunTally()
    for passed, value in ((True, 1.0), (True, 0.8), (False, 0.2)):
        tally.add_result(_result(passed, value))
    tally.add_result(EvalResult("k", 1, "", False, 0.0, error="gateway answered 400"))
    tally.add_result(_result(True, 1.0, cost=None, cached=True))
    agg = tally.aggregates()
    assert (agg.cases, agg.passed, agg.errored, agg.cached) == (5, 3, 1, 1)
    interval = wilson_interval(3, 5)
    assert (agg.pass_rate, agg.pass_rate_low, agg.pass_rate_high) == pytest.approx((0.6, interval.low, interval.high))
    assert agg.cost_usd == pytest.approx(0.03)
    assert agg.mean_latency_ms == pytest.approx(100.0)  # the cached answer's latency is not this run's
    (metric,) = agg.metrics
    assert (metric.name, metric.count) == ("contains", 4)
    assert metric.mean == pytest.approx(0.75) and metric.pass_rate == pytest.approx(0.75)


def test_an_empty_run_has_no_pass_rate_to_speak_of() -> None:
    agg = RunTally().aggregates()
    assert (agg.cases, agg.pass_rate, agg.pass_rate_low, agg.pass_rate_high) == (0, 0.0, 0.0, 1.0)
    assert agg.mean_latency_ms is None and agg.metrics == ()
