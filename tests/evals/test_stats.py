"""Evaluation statistics: Wilson intervals, the paired bootstrap, McNemar's exact test and the verdict.

Planted regressions and improvements must be flagged; runs drawn from the same distribution must not be
(fixed seeds throughout, so every number here is reproducible).
"""

from __future__ import annotations

import math
import random

import pytest

from rungway.evals.stats import (
    Verdict,
    compare_runs,
    mcnemar_exact,
    paired_bootstrap,
    pass_rate,
    wilson_interval,
)


def test_wilson_interval_matches_known_values() -> None:
    # 8 of 10 at 95%: the textbook Wilson interval is (0.4902, 0.9433)
    interval = wilson_interval(8, 10)
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.4902, 0.9433)
    assert wilson_interval(0, 10).low == 0.0 and wilson_interval(10, 10).high == 1.0
    assert wilson_interval(0, 0) == wilson_interval(0, 0, 0.99)  # no cases: all of [0, 1]
    assert wilson_interval(0, 0).low == 0.0 and wilson_interval(0, 0).high == 1.0
    narrow, wide = wilson_interval(500, 1000, 0.90), wilson_interval(500, 1000, 0.99)
    assert wide.low < narrow.low < 0.5 < narrow.high < wide.high


def test_pass_rate_carries_its_interval() -> None:
    rate = pass_rate(45, 50)
    assert rate.rate == 0.9 and rate.interval.low < 0.9 < rate.interval.high and rate.confidence == 0.95


@pytest.mark.parametrize(("passed", "total", "confidence"), [(5, 4, 0.95), (-1, 4, 0.95), (1, 4, 1.0), (1, 4, 0.0)])
def test_wilson_refuses_impossible_inputs(passed: int, total: int, confidence: float) -> None:
    with pytest.raises(ValueError):
        wilson_interval(passed, total, confidence)


def test_mcnemar_exact_matches_the_binomial_test() -> None:
    a = [True] * 10 + [False] * 90
    b = [False] * 10 + [False] * 90
    result = mcnemar_exact(a, b)
    assert (result.improved, result.regressed) == (0, 10)
    assert result.p_value == pytest.approx(2 * 0.5**10)
    # 3 improved vs 7 regressed: two-sided p = 2 * P(X <= 3 | n=10, 1/2) = 0.34375
    mixed = mcnemar_exact([False] * 3 + [True] * 7, [True] * 3 + [False] * 7)
    assert mixed.p_value == pytest.approx(2 * sum(math.comb(10, i) for i in range(4)) / 2**10)
    assert mcnemar_exact([True, False], [True, False]).p_value == 1.0
    big = mcnemar_exact([True] * 5000 + [False] * 5000, [False] * 5000 + [True] * 5000)
    assert big.p_value == pytest.approx(1.0)


def test_paired_bootstrap_is_seeded_and_brackets_the_planted_difference() -> None:
    rng = random.Random(11)
    a = [rng.random() for _ in range(400)]
    b = [min(1.0, max(0.0, x + 0.1 + rng.gauss(0, 0.05))) for x in a]
    first = paired_bootstrap(a, b, seed=3)
    assert first == paired_bootstrap(a, b, seed=3)
    assert first.interval.low < first.mean_difference < first.interval.high
    assert first.interval.low > 0.05 and first.interval.high < 0.15 and first.p_value < 0.01
    assert paired_bootstrap([], []).p_value == 1.0
    with pytest.raises(ValueError, match="aligned"):
        paired_bootstrap([1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="resamples"):
        paired_bootstrap([1.0], [1.0], resamples=0)


def _noisy_runs(seed: int, n: int, drop: float) -> tuple[list[float], list[float], list[bool], list[bool]]:
    """Two runs of the same cases; B's pass probability is lower by `drop` (0: the same distribution)."""
    rng = random.Random(seed)
    difficulty = [rng.random() for _ in range(n)]
    a_scores = [1.0 if rng.random() > d * 0.6 else 0.0 for d in difficulty]
    b_scores = [1.0 if rng.random() > d * 0.6 + drop else 0.0 for d in difficulty]
    return a_scores, b_scores, [s >= 0.5 for s in a_scores], [s >= 0.5 for s in b_scores]


def test_a_planted_regression_is_flagged_and_the_reverse_is_an_improvement() -> None:
    a, b, a_pass, b_pass = _noisy_runs(seed=1, n=300, drop=0.15)
    worse = compare_runs(a, b, a_pass, b_pass, resamples=1000, seed=1)
    assert worse.verdict is Verdict.REGRESSION
    assert worse.passes.regressed > worse.passes.improved and worse.passes.p_value < 0.05
    assert worse.scores.interval.high < 0
    better = compare_runs(b, a, b_pass, a_pass, resamples=1000, seed=1)
    assert better.verdict is Verdict.IMPROVEMENT
    for seed in range(2, 12):  # not a lucky seed: every one of ten planted regressions is found
        a, b, a_pass, b_pass = _noisy_runs(seed=seed, n=300, drop=0.15)
        assert compare_runs(a, b, a_pass, b_pass, resamples=500, seed=seed).verdict is Verdict.REGRESSION


def test_noise_between_runs_of_the_same_distribution_is_rarely_flagged() -> None:
    flagged = 0
    for seed in range(60):
        a, b, a_pass, b_pass = _noisy_runs(seed=100 + seed, n=200, drop=0.0)
        if compare_runs(a, b, a_pass, b_pass, resamples=500, seed=seed).verdict is not Verdict.NOISE:
            flagged += 1
    assert flagged <= 6  # alpha 0.05 on two tests: about 3 to 6 of 60 expected by chance


def test_min_effect_keeps_a_significant_but_tiny_difference_as_noise() -> None:
    a = [1.0] * 5000
    b = [1.0] * 4900 + [0.0] * 100  # 2% of cases regress: significant at n=5000
    a_pass, b_pass = [True] * 5000, [s == 1.0 for s in b]
    assert compare_runs(a, b, a_pass, b_pass, resamples=500).verdict is Verdict.REGRESSION
    assert compare_runs(a, b, a_pass, b_pass, resamples=500, min_effect=0.05).verdict is Verdict.NOISE


def test_tests_pointing_opposite_ways_are_noise() -> None:
    # scores drop a little on every case, yet more cases pass: the two signals disagree
    a = [0.49] * 50 + [0.9] * 50
    b = [0.5] * 50 + [0.6] * 50
    a_pass, b_pass = [s >= 0.5 for s in a], [s >= 0.5 for s in b]
    result = compare_runs(a, b, a_pass, b_pass, resamples=500)
    assert result.scores.interval.high < 0 and result.passes.improved == 50
    assert result.verdict is Verdict.NOISE


def test_compare_runs_refuses_misaligned_inputs_and_bad_alpha() -> None:
    with pytest.raises(ValueError):
        compare_runs([1.0], [1.0], [True], [True, False])
    with pytest.raises(ValueError):
        compare_runs([1.0], [1.0], [True], [True], alpha=1.5)
