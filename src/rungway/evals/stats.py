"""The statistics of evaluation: how sure a pass rate is, and whether run B differs from run A beyond noise.

- `pass_rate`: the share of cases that passed, with a Wilson score interval (good at small n and near 0 or 1,
  where the normal approximation fails).
- `paired_bootstrap`: the mean per-case score difference B - A with a percentile confidence interval and a
  two-sided p-value, resampling cases (pairs), seeded so a comparison is reproducible.
- `mcnemar_exact`: for paired pass/fail, the exact binomial test on the discordant cases (A passed and B
  failed, or the reverse).
- `compare_runs`: both tests on aligned per-case results and one verdict per metric: a significant
  regression, a significant improvement, or noise.

Pure Python (random, math, statistics): numpy is not a dependency. A bootstrap of 1,000 cases with 2,000
resamples takes about 0.1 s (bench/evals/scorers_bench.py measures it), well inside `eval compare`'s budget.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist

__all__ = [
    "Bootstrap",
    "Interval",
    "McNemar",
    "PassRate",
    "RunComparison",
    "Verdict",
    "compare_runs",
    "mcnemar_exact",
    "paired_bootstrap",
    "pass_rate",
    "wilson_interval",
]

MAX_RESAMPLES = 100_000


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class PassRate:
    """`passed` of `total` cases, the rate, and its Wilson interval at `confidence`."""

    passed: int
    total: int
    rate: float
    interval: Interval
    confidence: float


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(passed: int, total: int, confidence: float = 0.95) -> Interval:
    """The Wilson score interval for a binomial proportion; [0, 1] when there are no cases."""
    if total < 0 or not 0 <= passed <= total:
        raise ValueError(f"need 0 <= passed <= total, got {passed} of {total}")
    if total == 0:
        return Interval(0.0, 1.0)
    z = _z(confidence)
    p = passed / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    low = 0.0 if passed == 0 else max(0.0, centre - half)
    high = 1.0 if passed == total else min(1.0, centre + half)
    return Interval(low, high)


def pass_rate(passed: int, total: int, confidence: float = 0.95) -> PassRate:
    rate = passed / total if total else 0.0
    return PassRate(passed, total, rate, wilson_interval(passed, total, confidence), confidence)


@dataclass(frozen=True, slots=True)
class Bootstrap:
    """The mean of B - A over cases, its percentile interval, and the two-sided bootstrap p-value of 0."""

    mean_difference: float
    interval: Interval
    p_value: float
    resamples: int
    seed: int


def _aligned(a: Sequence[object], b: Sequence[object]) -> int:
    if len(a) != len(b):
        raise ValueError(f"paired results must be aligned case by case: {len(a)} and {len(b)} values")
    return len(a)


def paired_bootstrap(
    a: Sequence[float], b: Sequence[float], *, resamples: int = 2_000, seed: int = 0, confidence: float = 0.95
) -> Bootstrap:
    """Resample the cases with replacement `resamples` times; the difference is B - A (positive: B better)."""
    n = _aligned(a, b)
    if not 1 <= resamples <= MAX_RESAMPLES:
        raise ValueError(f"resamples must be from 1 to {MAX_RESAMPLES}, got {resamples}")
    _z(confidence)
    if n == 0:
        return Bootstrap(0.0, Interval(0.0, 0.0), 1.0, resamples, seed)
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    observed = math.fsum(diffs) / n
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(diffs, k=n)) / n for _ in range(resamples))
    tail = (1 - confidence) / 2
    low = means[min(resamples - 1, math.floor(tail * resamples))]
    high = means[max(0, math.ceil((1 - tail) * resamples) - 1)]
    # (count + 1) / (resamples + 1): a bootstrap p-value is never exactly 0
    at_or_below = (sum(1 for m in means if m <= 0) + 1) / (resamples + 1)
    at_or_above = (sum(1 for m in means if m >= 0) + 1) / (resamples + 1)
    p_value = min(1.0, 2 * min(at_or_below, at_or_above))
    return Bootstrap(observed, Interval(low, high), p_value, resamples, seed)


@dataclass(frozen=True, slots=True)
class McNemar:
    """Discordant pairs and the exact two-sided p-value: `regressed` passed in A and failed in B."""

    improved: int
    regressed: int
    p_value: float


def _binomial_two_sided(k: int, n: int) -> float:
    """P(X <= k) doubled for X ~ Binomial(n, 1/2), k <= n/2; in log space so large n stays exact enough."""
    if n == 0:
        return 1.0
    log_half_n = n * math.log(2)
    log_n = math.lgamma(n + 1)
    tail = math.fsum(math.exp(log_n - math.lgamma(i + 1) - math.lgamma(n - i + 1) - log_half_n) for i in range(k + 1))
    return min(1.0, 2 * tail)


def mcnemar_exact(a_passed: Sequence[bool], b_passed: Sequence[bool]) -> McNemar:
    """McNemar's exact test on paired pass/fail results (run A, run B, aligned by case)."""
    _aligned(a_passed, b_passed)
    improved = sum(1 for x, y in zip(a_passed, b_passed, strict=True) if not x and y)
    regressed = sum(1 for x, y in zip(a_passed, b_passed, strict=True) if x and not y)
    return McNemar(improved, regressed, _binomial_two_sided(min(improved, regressed), improved + regressed))


class Verdict(StrEnum):
    """What a comparison of run B against run A shows."""

    REGRESSION = "regression"
    IMPROVEMENT = "improvement"
    NOISE = "noise"


@dataclass(frozen=True, slots=True)
class RunComparison:
    """Both tests on one metric and the verdict: significant at `alpha` and at least `min_effect` in size."""

    verdict: Verdict
    scores: Bootstrap
    passes: McNemar
    pass_rate_a: PassRate
    pass_rate_b: PassRate
    alpha: float
    min_effect: float


def _direction(significant: bool, effect: float, min_effect: float) -> int:
    if not significant or abs(effect) < min_effect or effect == 0:
        return 0
    return 1 if effect > 0 else -1


def compare_runs(
    a_scores: Sequence[float],
    b_scores: Sequence[float],
    a_passed: Sequence[bool],
    b_passed: Sequence[bool],
    *,
    alpha: float = 0.05,
    min_effect: float = 0.0,
    resamples: int = 2_000,
    seed: int = 0,
) -> RunComparison:
    """Compare run B with run A on one metric, case by case.

    A regression (or improvement) is flagged when the bootstrap of the score difference or McNemar's test on
    pass/fail is significant at `alpha` and the effect (mean score difference, or pass-rate difference) is at
    least `min_effect`; when the two tests point opposite ways the verdict is noise.
    """
    n = _aligned(a_scores, b_scores)
    if _aligned(a_passed, b_passed) != n:
        raise ValueError("scores and pass/fail results must cover the same cases")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    scores = paired_bootstrap(a_scores, b_scores, resamples=resamples, seed=seed, confidence=1 - alpha)
    passes = mcnemar_exact(a_passed, b_passed)
    rate_a, rate_b = pass_rate(sum(a_passed), n), pass_rate(sum(b_passed), n)
    score_side = _direction(scores.interval.low > 0 or scores.interval.high < 0, scores.mean_difference, min_effect)
    pass_side = _direction(passes.p_value < alpha, rate_b.rate - rate_a.rate, min_effect)
    sides = {score_side, pass_side} - {0}
    verdict = Verdict.NOISE
    if sides == {-1}:
        verdict = Verdict.REGRESSION
    elif sides == {1}:
        verdict = Verdict.IMPROVEMENT
    return RunComparison(verdict, scores, passes, rate_a, rate_b, alpha, min_effect)
