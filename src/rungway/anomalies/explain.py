"""Which dimension moved most: the anomalous hour's breakdowns against the baseline hours' (pure, no I/O).

For each dimension (model, route, user, prompt version, provider) the detector's loop reads, in the
anomalous hour and in its baseline hours, each value's calls and its "mass" of the metric: errors for the
error rate, calls slower than the baseline p95 for a latency, dollars for cost, tokens, refusals, filter hits.
A dimension moved when the mass is spread over its values differently from the baseline: the Jensen-Shannon
divergence between the two distributions (0: the same spread; a dimension with one value never moves).
The dimension with the largest divergence is named, with the value that gained the most share of the mass
(its explanatory power: the share of the change in mass it carries).
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


def _shares(breakdown: Breakdown) -> dict[str, float]:
    total = sum(max(mass, 0.0) for _, mass in breakdown.values())
    if total <= 0:
        return {}
    return {value: max(mass, 0.0) / total for value, (_, mass) in breakdown.items()}


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
        p, q = _shares(window.get(dimension, {})), _shares(baseline.get(dimension, {}))
        if not p:
            continue
        score = _js(p, q) if q else 0.0
        divergence[dimension] = score
        if score >= minimum and (best is None or score > best[0]):
            best = (score, dimension)
    if best is None:
        return Explanation(None, None, 0.0, 0.0, 0.0, divergence)
    dimension = best[1]
    mine, theirs = window[dimension], baseline.get(dimension, {})
    win_total = sum(m for _, m in mine.values())
    calls_now = sum(c for c, _ in mine.values()) or 1
    calls_then = sum(c for c, _ in theirs.values()) or 1
    # the mass each value would carry now at the baseline's rate per call, had its traffic stayed as it is
    expected = {v: (theirs[v][1] / max(theirs[v][0], 1)) * c if v in theirs else 0.0 for v, (c, _) in mine.items()}
    change = win_total - sum(m for _, m in theirs.values()) * calls_now / calls_then
    value = max(mine, key=lambda v: (mine[v][1] - expected[v], v))
    p, q = _shares(mine), _shares(theirs)
    power = (mine[value][1] - expected[value]) / change if change > 0 else 0.0
    return Explanation(dimension, value, max(min(power, 1.0), 0.0), p.get(value, 0.0), q.get(value, 0.0), divergence)
