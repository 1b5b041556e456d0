"""Call-metric assertions: latency and cost at or under a threshold (promptfoo's `latency` and `cost`).

They read what the gateway measured for the call (`Sample.latency_ms`, `Sample.cost_usd`); a call with
no measurement gives an errored score rather than a pass, so a cached answer never passes a latency bound.
"""

from __future__ import annotations

from rungway.evals.scorers.base import Sample, Scorer, ScoreResult
from rungway.evals.scorers.registry import scorer
from rungway.evals.scorers.spec import ScorerContext, SpecReader

__all__ = ["CostBound", "LatencyBound"]


class LatencyBound(Scorer):
    """The call took at most `threshold` milliseconds."""

    def __init__(self, limit_ms: float) -> None:
        self.name = "latency"
        self.limit_ms = limit_ms

    def score(self, sample: Sample) -> ScoreResult:
        if sample.latency_ms is None:
            return self.error("no latency was recorded for this call")
        ok = sample.latency_ms <= self.limit_ms
        return self.verdict(ok, f"{sample.latency_ms:g} ms {'<=' if ok else '>'} {self.limit_ms:g} ms")


class CostBound(Scorer):
    """The call cost at most `threshold` US dollars."""

    def __init__(self, limit_usd: float) -> None:
        self.name = "cost"
        self.limit_usd = limit_usd

    def score(self, sample: Sample) -> ScoreResult:
        if sample.cost_usd is None:
            return self.error("no cost is known for this call (is the model priced?)")
        ok = sample.cost_usd <= self.limit_usd
        return self.verdict(ok, f"${sample.cost_usd:.6g} {'<=' if ok else '>'} ${self.limit_usd:.6g}")


@scorer("latency")
def _latency(spec: SpecReader, context: ScorerContext) -> Scorer:
    return LatencyBound(spec.required_number("threshold", low=0.0, high=86_400_000.0, example="5000  # ms"))


@scorer("cost")
def _cost(spec: SpecReader, context: ScorerContext) -> Scorer:
    return CostBound(spec.required_number("threshold", low=0.0, high=1_000_000.0, example="0.002  # USD"))
