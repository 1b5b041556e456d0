"""The watched metrics: their direction, and online scores by name."""

from __future__ import annotations

import pytest

from rungway.anomalies.detector import Direction
from rungway.anomalies.model import METRICS, metric_named


def test_request_log_metrics_are_worse_when_they_rise() -> None:
    assert {m.direction for m in METRICS} == {Direction.UP}
    assert {m.name for m in METRICS if m.rate} == {"error_rate", "refusal_rate", "filter_hit_rate"}


def test_an_online_score_is_worse_when_it_falls() -> None:
    score = metric_named("score:helpfulness")
    assert score.direction is Direction.DOWN and "helpfulness" in score.title
    with pytest.raises(KeyError):
        metric_named("latency_p50")
