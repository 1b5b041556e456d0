"""Which dimension moved most: the anomalous hour's breakdowns against the baseline hours' (pure, no I/O).

For each dimension (model, route, user, prompt version, provider) the detector's loop reads, in the
anomalous hour and in its baseline hours, each value's calls and its "mass" of the metric: errors for the
error rate, calls slower than the baseline p95 for a latency, dollars for cost, tokens, refusals, filter hits.
Had nothing changed, each value would carry its calls in the window at its baseline rate (shrunk towards
the dimension's overall rate, so a value with few baseline calls is not judged on them). A dimension moved
when the mass is spread over its values differently from that expectation: the Jensen-Shannon divergence
between the two distributions (0: as expected; a dimension with one value never moves). The dimension with
the largest divergence is named, with the value whose mass grew most over its expectation (its explanatory
power: the share of the whole change it carries).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DIMENSIONS", "Breakdown", "Explanation", "explain"]

DIMENSIONS = ("model", "route", "user", "prompt_version", "provider")

Breakdown = Mapping[str, tuple[int, float]]
"""value -> (calls, mass of the metric) in one dimension over some hours."""


@dataclass(frozen=True, slots=True)
class Explanation:
    """The dimension that moved most and its value, and every dimension's divergence (for the page)."""

    dimension: str | None
    value: str | None
    power: float  # the share of the change in mass the value carries
    window_share: float  # the value's share of the mass in the anomalous hour
    baseline_share: float  # and in the baseline
    divergence: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return {"dimension": self.dimension, "value": self.value, "power": round(self.power, 4),
                "window_share": round(self.window_share, 4), "baseline_share": round(self.baseline_share, 4),
                "divergence": {k: round(v, 4) for k, v in self.divergence.items()}}  # fmt: skip


SMOOTHING_CALLS = 20.0
"""A value's baseline rate is shrunk towards the dimension's overall rate as if it had this many more calls:
a user with three calls and one error in the baseline is not a 33% user."""


def _expected(window: Breakdown, baseline: Breakdown) -> dict[str, float]:
    """Each value's mass in the window had nothing changed: its calls now at its (smoothed) baseline rate."""
    calls = sum(c for c, _ in baseline.values())
    overall = sum(m for _, m in baseline.values()) / calls if calls else 0.0
    out = {}
    for value, (now_calls, _) in window.items():
        then_calls, then_mass = baseline.get(value, (0, 0.0))
        rate = (then_mass + SMOOTHING_CALLS * overall) / (then_calls + SMOOTHING_CALLS)
        out[value] = now_calls * rate
    return out


def _shares(masses: Mapping[str, float]) -> dict[str, float]:
    total = sum(max(m, 0.0) for m in masses.values())
    return {k: max(m, 0.0) / total for k, m in masses.items()} if total > 0 else {}


def _js(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Jensen-Shannon divergence (base 2: from 0 to 1)."""
    out = 0.0
    for key in set(p) | set(q):
        a, b = p.get(key, 0.0), q.get(key, 0.0)
        m = (a + b) / 2
        if a > 0:
            out += a / 2 * math.log2(a / m)
        if b > 0:
            out += b / 2 * math.log2(b / m)
    return out


def explain(window: Mapping[str, Breakdown], baseline: Mapping[str, Breakdown], minimum: float = 0.02) -> Explanation:
    """Name the dimension whose breakdown moved most between the baseline and the anomalous hour (None when
    none moved by `minimum` or more)."""
    divergence: dict[str, float] = {}
    best: tuple[float, str] | None = None
    for dimension in DIMENSIONS:
        mine, theirs = window.get(dimension, {}), baseline.get(dimension, {})
        p = _shares({v: m for v, (_, m) in mine.items()})
        q = _shares(_expected(mine, theirs))
        if not p or not q:
            continue
        divergence[dimension] = score = _js(p, q)
        if score >= minimum and (best is None or score > best[0]):
            best = (score, dimension)
    if best is None:
        return Explanation(None, None, 0.0, 0.0, 0.0, divergence)
    dimension = best[1]
    mine = window[dimension]
    expected = _expected(mine, baseline.get(dimension, {}))
    value = max(mine, key=lambda v: (mine[v][1] - expected[v], v))
    change = sum(m for _, m in mine.values()) - sum(expected.values())
    power = (mine[value][1] - expected[value]) / change if change > 0 else 0.0
    p, q = _shares({v: m for v, (_, m) in mine.items()}), _shares(expected)
    return Explanation(dimension, value, max(min(power, 1.0), 0.0), p.get(value, 0.0), q.get(value, 0.0), divergence)
