"""A migration report: what moving a workload from model A to model B would do, and the gate's verdict.

Pure: built from typed comparisons and per-case cost/latency pairs (`service.py` reads them from the
stored eval runs), judged against the workload's `upgrade_gate`, shown as JSON and Markdown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rungway.models.pins.config import UpgradeGate
from rungway.models.pins.model import iso

__all__ = ["CallDelta", "DatasetRuns", "ScorerDelta", "UpgradeReport", "judge", "relative_change"]


def relative_change(before: float | None, after: float | None) -> float | None:
    """(after - before) / before; None when either is unknown or before is 0."""
    if before is None or after is None or before == 0:
        return None
    return (after - before) / before


@dataclass(frozen=True, slots=True)
class DatasetRuns:
    """The two eval runs of one bound dataset: `run_a` on the current model, `run_b` on the candidate."""

    dataset: str
    run_a: str
    run_b: str
    cases: int
    pass_rate_a: float
    pass_rate_b: float

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "run_a": self.run_a,
            "run_b": self.run_b,
            "cases": self.cases,
            "pass_rate_a": self.pass_rate_a,
            "pass_rate_b": self.pass_rate_b,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> DatasetRuns:
        return cls(
            str(raw["dataset"]),
            str(raw["run_a"]),
            str(raw["run_b"]),
            int(raw["cases"]),
            float(raw["pass_rate_a"]),
            float(raw["pass_rate_b"]),
        )


@dataclass(frozen=True, slots=True)
class ScorerDelta:
    """One scorer (metric) on one dataset, B against A, with the paired tests' verdict."""

    dataset: str
    metric: str
    cases: int
    mean_a: float
    mean_b: float
    pass_rate_a: float
    pass_rate_b: float
    p_value: float
    verdict: str  # regression | improvement | no_difference (evals' stats.Verdict values)

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "metric": self.metric,
            "cases": self.cases,
            "mean_a": self.mean_a,
            "mean_b": self.mean_b,
            "delta": self.mean_b - self.mean_a,
            "pass_rate_a": self.pass_rate_a,
            "pass_rate_b": self.pass_rate_b,
            "p_value": self.p_value,
            "verdict": self.verdict,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ScorerDelta:
        return cls(
            str(raw["dataset"]),
            str(raw["metric"]),
            int(raw["cases"]),
            float(raw["mean_a"]),
            float(raw["mean_b"]),
            float(raw["pass_rate_a"]),
            float(raw["pass_rate_b"]),
            float(raw["p_value"]),
            str(raw["verdict"]),
        )


@dataclass(frozen=True, slots=True)
class CallDelta:
    """Mean cost (USD) or latency (ms) per matched case on A and on B, and the relative change."""

    cases: int
    mean_a: float | None
    mean_b: float | None

    @property
    def change(self) -> float | None:
        return relative_change(self.mean_a, self.mean_b)

    def to_json(self) -> dict[str, Any]:
        return {"cases": self.cases, "mean_a": self.mean_a, "mean_b": self.mean_b, "change": self.change}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> CallDelta:
        return cls(int(raw["cases"]), raw.get("mean_a"), raw.get("mean_b"))

    @classmethod
    def of(cls, pairs: Sequence[tuple[float | None, float | None]]) -> CallDelta:
        both = [(a, b) for a, b in pairs if a is not None and b is not None]
        if not both:
            return cls(0, None, None)
        return cls(len(both), sum(a for a, _ in both) / len(both), sum(b for _, b in both) / len(both))


def judge(
    gate: UpgradeGate, scorers: Sequence[ScorerDelta], runs: Sequence[DatasetRuns], cost: CallDelta, latency: CallDelta
) -> tuple[bool, list[str]]:
    """The gate's verdict and its reasons (each failed requirement, or why it passed)."""
    reasons: list[str] = []
    if not runs:
        return False, ["no eval evidence: the workload has no bound datasets that ran on both models"]
    regressions = [s for s in scorers if s.verdict == "regression"]
    if len(regressions) > gate.max_regressions:
        named = ", ".join(f"{s.dataset}/{s.metric}" for s in regressions[:10])
        reasons.append(f"{len(regressions)} scorers regressed significantly (at most {gate.max_regressions}): {named}")
    for what, delta, limit in (("cost", cost, gate.max_cost_increase), ("latency", latency, gate.max_latency_increase)):
        change = delta.change
        if limit is not None and change is not None and change > limit:
            reasons.append(f"mean {what} per case rises {change:+.1%} (at most {limit:+.1%})")
    if reasons:
        return False, reasons
    return True, [
        f"{len(regressions)} significant regressions, cost {_pct(cost.change)}, latency {_pct(latency.change)}"
        " within the workload's upgrade gate"
    ]


def _pct(change: float | None) -> str:
    return "n/a" if change is None else f"{change:+.1%}"


@dataclass(frozen=True, slots=True)
class UpgradeReport:
    """A planned upgrade of one workload's alias from `from_model` to `to_model`, judged by its gate."""

    id: str
    workload: str
    alias: str
    from_model: str
    to_model: str
    runs: tuple[DatasetRuns, ...]
    scorers: tuple[ScorerDelta, ...]
    cost: CallDelta
    latency: CallDelta
    gate: UpgradeGate
    passed: bool
    reasons: tuple[str, ...]
    created_by: str
    created_at: float
    shadow: Mapping[str, Any] | None = None
    applied_at: float | None = None
    applied_by: str | None = None
    notes: tuple[str, ...] = field(default=())

    def body(self) -> dict[str, Any]:
        """What the store keeps as JSON (the columns hold the rest)."""
        return {
            "runs": [r.to_json() for r in self.runs],
            "scorers": [s.to_json() for s in self.scorers],
            "cost": self.cost.to_json(),
            "latency": self.latency.to_json(),
            "gate": self.gate.to_json(),
            "reasons": list(self.reasons),
            "shadow": dict(self.shadow) if self.shadow else None,
            "notes": list(self.notes),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workload": self.workload,
            "alias": self.alias,
            "from": self.from_model,
            "to": self.to_model,
            "passed": self.passed,
            "created_by": self.created_by,
            "created_at": iso(self.created_at),
            "applied_at": iso(self.applied_at),
            "applied_by": self.applied_by,
            **self.body(),
        }

    def markdown(self) -> str:
        verdict = "PASSES" if self.passed else "FAILS"
        lines = [
            f"# Upgrade {self.alias}: {self.from_model} -> {self.to_model} ({self.workload})",
            "",
            f"Report `{self.id}` by {self.created_by} at {iso(self.created_at)}: **{verdict}** the upgrade gate.",
            "",
        ] + [f"- {r}" for r in self.reasons]
        if self.applied_at is not None:
            lines += ["", f"Applied by {self.applied_by} at {iso(self.applied_at)}."]
        lines += [
            "",
            "## Quality per scorer",
            "",
            "| dataset | scorer | cases | A | B | delta | p | verdict |",
            "|---|---|---:|---:|---:|---:|---:|---|",
        ]
        for s in self.scorers:
            lines.append(
                f"| {s.dataset} | {s.metric} | {s.cases} | {s.mean_a:.3f} | {s.mean_b:.3f} | "
                f"{s.mean_b - s.mean_a:+.3f} | {s.p_value:.3g} | {s.verdict} |"
            )
        lines += [
            "",
            "## Cost and latency per case",
            "",
            "| | A | B | change |",
            "|---|---:|---:|---:|",
            f"| cost (USD) | {_num(self.cost.mean_a, 6)} | {_num(self.cost.mean_b, 6)} | {_pct(self.cost.change)} |",
            f"| latency (ms) | {_num(self.latency.mean_a, 1)} | {_num(self.latency.mean_b, 1)} | "
            f"{_pct(self.latency.change)} |",
            "",
            "## Eval runs",
            "",
        ]
        lines += [
            f"- {r.dataset}: A `{r.run_a}` ({r.pass_rate_a:.1%} pass), B `{r.run_b}` ({r.pass_rate_b:.1%} pass),"
            f" {r.cases} cases"
            for r in self.runs
        ]
        if self.shadow:
            lines += ["", "## Shadow traffic", "", *(f"- {k}: {v}" for k, v in self.shadow.items())]
        return "\n".join(lines) + "\n"


def _num(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"
