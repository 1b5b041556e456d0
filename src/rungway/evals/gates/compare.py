"""Two eval runs of one dataset, case by case: what regressed, what improved, and which differences are not noise.

Results are matched on (case key, repeat). A case that passed in run A and failed in run B is a regression,
the reverse an improvement; a single flipped case is not yet evidence, so each metric (the overall case
score and pass/fail, and every assertion metric both runs have) is also tested as a whole with
`stats.compare_runs`: the paired bootstrap on the scores and McNemar's exact test on pass/fail. A metric
whose verdict is a regression is a *significant* regression, the signal `eval gate --no-regression-vs` acts on.

Pure over typed records (`CaseRecord`), so the API, the CLI and the gate share one computation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rungway.evals.stats import RunComparison, Verdict, compare_runs

__all__ = [
    "OVERALL",
    "CaseChange",
    "CaseRecord",
    "Comparison",
    "MetricDiff",
    "compare_records",
]

OVERALL = "(overall)"
MAX_EXPLANATION = 500


@dataclass(frozen=True, slots=True)
class MetricValue:
    """One assertion metric's judgement of one result."""

    value: float
    passed: bool
    explanation: str


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """What a comparison needs of one result: its key, repeat, outcome and each metric's judgement."""

    case_key: str
    repeat: int
    passed: bool
    score: float
    metrics: Mapping[str, MetricValue]
    error: str | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> CaseRecord:
        """From a result as the API and the store write it (`EvalResult.to_json`)."""
        metrics: dict[str, MetricValue] = {}
        for s in raw.get("scores") or ():
            name = str(s.get("metric") or s.get("scorer") or "")
            if name and name not in metrics:
                metrics[name] = MetricValue(float(s.get("value") or 0.0), bool(s.get("passed")),
                                            str(s.get("explanation") or "")[:MAX_EXPLANATION])  # fmt: skip
        return cls(str(raw["case_key"]), int(raw.get("repeat") or 0), bool(raw.get("passed")),
                   float(raw.get("score") or 0.0), metrics, raw.get("error"))  # fmt: skip

    def why_failed(self) -> str:
        """The failing metrics' explanations (or the error), for a reader of a regression."""
        if self.error:
            return f"error: {self.error}"[:MAX_EXPLANATION]
        failing = [f"{name}: {m.explanation}" if m.explanation else name
                   for name, m in sorted(self.metrics.items()) if not m.passed]  # fmt: skip
        return "; ".join(failing)[:MAX_EXPLANATION]


@dataclass(frozen=True, slots=True)
class CaseChange:
    """A case whose pass/fail flipped between the runs."""

    case_key: str
    repeat: int
    score_a: float
    score_b: float
    explanation: str

    def to_json(self) -> dict[str, Any]:
        return {"case_key": self.case_key, "repeat": self.repeat, "score_a": self.score_a, "score_b": self.score_b,
                "explanation": self.explanation}  # fmt: skip


@dataclass(frozen=True, slots=True)
class MetricDiff:
    """One metric over the matched cases: means, pass rates, the tests and the verdict."""

    metric: str
    cases: int
    mean_a: float
    mean_b: float
    test: RunComparison

    @property
    def verdict(self) -> Verdict:
        return self.test.verdict

    def to_json(self) -> dict[str, Any]:
        t = self.test
        return {
            "metric": self.metric,
            "cases": self.cases,
            "mean_a": self.mean_a,
            "mean_b": self.mean_b,
            "mean_difference": t.scores.mean_difference,
            "difference_low": t.scores.interval.low,
            "difference_high": t.scores.interval.high,
            "bootstrap_p_value": t.scores.p_value,
            "pass_rate_a": t.pass_rate_a.rate,
            "pass_rate_b": t.pass_rate_b.rate,
            "regressed": t.passes.regressed,
            "improved": t.passes.improved,
            "mcnemar_p_value": t.passes.p_value,
            "verdict": t.verdict.value,
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    """Run B against run A: matched and unmatched cases, flipped cases, and per-metric differences."""

    matched: int
    only_in_a: int
    only_in_b: int
    regressions: tuple[CaseChange, ...]
    improvements: tuple[CaseChange, ...]
    metrics: tuple[MetricDiff, ...]
    alpha: float

    @property
    def significant_regressions(self) -> tuple[MetricDiff, ...]:
        return tuple(m for m in self.metrics if m.verdict is Verdict.REGRESSION)

    def to_json(self) -> dict[str, Any]:
        return {
            "matched": self.matched,
            "only_in_a": self.only_in_a,
            "only_in_b": self.only_in_b,
            "alpha": self.alpha,
            "regressions": [c.to_json() for c in self.regressions],
            "improvements": [c.to_json() for c in self.improvements],
            "metrics": [m.to_json() for m in self.metrics],
            "significant_regressions": [m.metric for m in self.significant_regressions],
        }


def _metric(name: str, pairs: Sequence[tuple[float, bool, float, bool]], alpha: float, seed: int) -> MetricDiff:
    a_scores = [p[0] for p in pairs]
    b_scores = [p[2] for p in pairs]
    test = compare_runs(a_scores, b_scores, [p[1] for p in pairs], [p[3] for p in pairs], alpha=alpha, seed=seed)
    n = len(pairs)
    return MetricDiff(name, n, sum(a_scores) / n if n else 0.0, sum(b_scores) / n if n else 0.0, test)


def compare_records(
    a: Iterable[CaseRecord], b: Iterable[CaseRecord], *, alpha: float = 0.05, seed: int = 0
) -> Comparison:
    """Compare run B's results with run A's (B is the candidate: a regression is worse in B)."""
    by_key = {(r.case_key, r.repeat): r for r in a}
    seen: set[tuple[str, int]] = set()
    regressions: list[CaseChange] = []
    improvements: list[CaseChange] = []
    overall: list[tuple[float, bool, float, bool]] = []
    per_metric: dict[str, list[tuple[float, bool, float, bool]]] = {}
    only_b = 0
    for rb in sorted(b, key=lambda r: (r.case_key, r.repeat)):
        ra = by_key.get((rb.case_key, rb.repeat))
        if ra is None:
            only_b += 1
            continue
        seen.add((rb.case_key, rb.repeat))
        overall.append((ra.score, ra.passed, rb.score, rb.passed))
        if ra.passed and not rb.passed:
            regressions.append(CaseChange(rb.case_key, rb.repeat, ra.score, rb.score, rb.why_failed()))
        elif rb.passed and not ra.passed:
            improvements.append(CaseChange(rb.case_key, rb.repeat, ra.score, rb.score, ra.why_failed()))
        for name, mb in rb.metrics.items():
            ma = ra.metrics.get(name)
            if ma is not None:
                per_metric.setdefault(name, []).append((ma.value, ma.passed, mb.value, mb.passed))
    metrics = [_metric(OVERALL, overall, alpha, seed)]
    metrics += [_metric(name, pairs, alpha, seed) for name, pairs in sorted(per_metric.items())]
    return Comparison(len(seen), len(by_key) - len(seen), only_b, tuple(regressions), tuple(improvements),
                      tuple(metrics), alpha)  # fmt: skip
