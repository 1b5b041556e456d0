"""A shadow run summed up: how B compared with A on the same calls (latency, cost, errors, agreement).

`summarize(engine, run_id)` reads the run's newest `MAX_PAIRS` results and answers a `ShadowSummary`:
B's error rate; latency p50/p95 of each side and B's change, with an exact two-sided sign test on the
paired differences (each call is its own pair, so the load of the moment cancels); cost per call of
each side and the change, with its own sign test; output tokens per call likewise; and the agreement
of B's answers with A's (exact match rate, token F1 and ROUGE-L distributions, JSON validity kept, tool
names equal). The upgrade report (`models/upgrades/`) includes it; `GET /api/models/shadow/{run_id}` returns it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine

from rungway.models.shadow.model import ShadowResult, ShadowRun
from rungway.models.shadow.store import count_results, find_run, read_results

__all__ = [
    "MAX_PAIRS",
    "SIGNIFICANCE",
    "Distribution",
    "PairedChange",
    "ShadowSummary",
    "percentile",
    "sign_test",
    "summarize",
    "summarize_results",
]

MAX_PAIRS = 50_000
SIGNIFICANCE = 0.05
_BUCKETS = (0.2, 0.4, 0.6, 0.8, 1.0)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def sign_test(differences: Sequence[float]) -> float | None:
    """The exact two-sided sign test's p-value for a median difference of zero (ties dropped); None when no
    difference is non-zero. Binomial tail sums in log space, so it is exact for any number of pairs."""
    above = sum(1 for d in differences if d > 0)
    below = sum(1 for d in differences if d < 0)
    n = above + below
    if n == 0:
        return None
    k = min(above, below)
    log_half_n = n * math.log(0.5)
    log_terms = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + log_half_n for i in range(k + 1)]
    top = max(log_terms)
    tail = math.exp(top) * sum(math.exp(t - top) for t in log_terms)
    return min(1.0, 2 * tail)


@dataclass(frozen=True, slots=True)
class PairedChange:
    """A measure of A and B on the same calls: each side's p50/p95 (or mean for cost), B's relative change,
    and the sign test on B - A per pair (`significant`: p < 0.05)."""

    pairs: int
    a_p50: float | None
    b_p50: float | None
    a_p95: float | None
    b_p95: float | None
    a_mean: float | None
    b_mean: float | None
    change_p50: float | None  # B's p50 / A's p50 - 1 (0.25: 25% higher)
    change_p95: float | None
    change_mean: float | None
    b_higher: int  # pairs where B's figure was above A's
    b_lower: int
    p_value: float | None
    significant: bool


@dataclass(frozen=True, slots=True)
class Distribution:
    """A similarity's spread over the pairs B answered: mean, p10/p50/p90 and counts per fifth (0-0.2, ... 0.8-1]."""

    count: int
    mean: float | None
    p10: float | None
    p50: float | None
    p90: float | None
    buckets: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ShadowSummary:
    """What a shadow run found: `pairs` shadowed (`analysed` of them read, the newest), B's errors,
    latency and cost changes with significance, and how B's answers agree with A's."""

    run: ShadowRun
    pairs: int
    analysed: int
    dropped: int
    b_errors: int
    b_error_rate: float | None
    latency_ms: PairedChange
    cost_usd: PairedChange
    output_tokens: PairedChange  # how much longer (or shorter) B answers
    b_unpriced: int
    exact_match_rate: float | None
    token_f1: Distribution
    rouge_l: Distribution
    json_pairs: int  # pairs where A's answer was JSON
    json_valid_rate: float | None  # of those, B's answer was JSON too
    tool_pairs: int  # pairs where A or B called a tool
    tool_names_equal_rate: float | None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["run"] = self.run.to_json()
        return data


def _ratio(b: float | None, a: float | None) -> float | None:
    return None if a is None or b is None or a == 0 else b / a - 1


def paired_change(pairs: Sequence[tuple[float, float]]) -> PairedChange:
    """A against B over (a, b) pairs."""
    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    a50, b50, a95, b95 = percentile(a, 50), percentile(b, 50), percentile(a, 95), percentile(b, 95)
    a_mean = sum(a) / len(a) if a else None
    b_mean = sum(b) / len(b) if b else None
    diffs = [y - x for x, y in pairs]
    p = sign_test(diffs)
    return PairedChange(
        pairs=len(pairs), a_p50=a50, b_p50=b50, a_p95=a95, b_p95=b95, a_mean=a_mean, b_mean=b_mean,
        change_p50=_ratio(b50, a50), change_p95=_ratio(b95, a95), change_mean=_ratio(b_mean, a_mean),
        b_higher=sum(1 for d in diffs if d > 0), b_lower=sum(1 for d in diffs if d < 0),
        p_value=p, significant=p is not None and p < SIGNIFICANCE,
    )  # fmt: skip


def distribution(values: Sequence[float]) -> Distribution:
    counts = [0] * len(_BUCKETS)
    for value in values:
        index = next((i for i, top in enumerate(_BUCKETS) if value <= top), len(_BUCKETS) - 1)
        counts[index] += 1
    return Distribution(
        count=len(values),
        mean=sum(values) / len(values) if values else None,
        p10=percentile(values, 10),
        p50=percentile(values, 50),
        p90=percentile(values, 90),
        buckets=tuple(counts),
    )


def _rate(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def summarize_results(run: ShadowRun, results: Sequence[ShadowResult], pairs: int | None = None) -> ShadowSummary:
    """The summary of these results of `run` (pure: the tests and the upgrade report call it directly)."""
    answered = [r for r in results if r.b_error is None]
    latency = [(r.a_latency_ms, r.b_latency_ms) for r in answered if r.b_latency_ms is not None]
    priced = [(r.a_cost_nano / 1e9, r.b_cost_nano / 1e9) for r in answered if r.a_priced and r.b_priced]
    errors = len(results) - len(answered)
    json_flags = [r.json_valid for r in answered if r.json_valid is not None]
    tool_flags = [r.tool_names_equal for r in answered if r.tool_names_equal is not None]
    return ShadowSummary(
        run=run,
        pairs=len(results) if pairs is None else pairs,
        analysed=len(results),
        dropped=run.dropped,
        b_errors=errors,
        b_error_rate=errors / len(results) if results else None,
        latency_ms=paired_change(latency),
        cost_usd=paired_change(priced),
        output_tokens=paired_change([(float(r.a_tokens_out), float(r.b_tokens_out)) for r in answered]),
        b_unpriced=sum(1 for r in answered if not r.b_priced),
        exact_match_rate=_rate([bool(r.exact_match) for r in answered]),
        token_f1=distribution([r.token_f1 for r in answered if r.token_f1 is not None]),
        rouge_l=distribution([r.rouge_l for r in answered if r.rouge_l is not None]),
        json_pairs=len(json_flags),
        json_valid_rate=_rate(json_flags),
        tool_pairs=len(tool_flags),
        tool_names_equal_rate=_rate(tool_flags),
    )


def summarize(engine: Engine, run_id: str) -> ShadowSummary | None:
    """The summary of a stored run (its newest MAX_PAIRS results), or None when there is no such run."""
    run = find_run(engine, run_id)
    if run is None:
        return None
    return summarize_results(run, read_results(engine, run_id, MAX_PAIRS), count_results(engine, run_id))
