"""Latency and cost bounds read what the gateway measured; no measurement is an error, never a pass."""

from __future__ import annotations

import pytest

from rungway.evals.scorers import InvalidAssertion
from tests.evals.scorers.support import build, judge


def test_latency_passes_at_or_under_the_threshold() -> None:
    assert judge({"type": "latency", "threshold": 500}, latency_ms=500).passed
    result = judge({"type": "latency", "threshold": 500}, latency_ms=501.5)
    assert not result.passed and "501.5 ms > 500 ms" in result.explanation


def test_cost_passes_at_or_under_the_threshold() -> None:
    assert judge({"type": "cost", "threshold": 0.001}, cost_usd=0.0004).passed
    assert not judge({"type": "cost", "threshold": 0.001}, cost_usd=0.002).passed


def test_an_unmeasured_call_is_an_error_even_when_negated() -> None:
    for kind in ("latency", "not-latency", "cost", "not-cost"):
        result = judge({"type": kind, "threshold": 1})
        assert result.errored and not result.passed, kind


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "latency"}, r"threshold: is missing"),
        ({"type": "latency", "threshold": -5}, r"threshold: -5 is out of range"),
        ({"type": "cost", "threshold": "cheap"}, r"threshold: expected a number"),
        ({"type": "cost", "threshold": float("nan")}, r"threshold: expected a number"),
        ({"type": "cost", "threshold": True}, r"threshold: expected a number, got a boolean"),
    ],
)
def test_bounds_need_a_valid_threshold(spec: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidAssertion, match=message):
        build(spec)
