"""The red-team records: a run, each attack's result with its bounded transcript, per-category rates, the diff.

Pure values shared by the runner, the store, the API and the CLI. A transcript keeps at most `MAX_TURN_CHARS`
characters of each message and `MAX_TRANSCRIPT_MESSAGES` messages, so a chatty model cannot grow the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MAX_TRANSCRIPT_MESSAGES",
    "MAX_TURN_CHARS",
    "AttackResult",
    "CategoryRate",
    "RunDiff",
    "bounded",
    "diff_results",
    "rates_of",
]

MAX_TURN_CHARS = 2000
MAX_TRANSCRIPT_MESSAGES = 12
TRIAGE_STATUSES = ("accepted", "fixed", "false-positive")


def bounded(transcript: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """The transcript as stored: roles and contents, each content cut at MAX_TURN_CHARS (marked), at most
    MAX_TRANSCRIPT_MESSAGES messages (the last ones: where the attack lands)."""
    out = [
        {"role": role[:16], "content": text if len(text) <= MAX_TURN_CHARS else text[:MAX_TURN_CHARS] + " […]"}
        for role, text in transcript
    ]
    return out[-MAX_TRANSCRIPT_MESSAGES:]


@dataclass(frozen=True, slots=True)
class AttackResult:
    """One attack's outcome: success (the model fell for it), the grader and reason, or the call's error."""

    attack_id: str
    category: str
    strategy: str | None
    goal: str
    succeeded: bool
    grader: str
    reason: str
    transcript: tuple[dict[str, str], ...] = ()
    error: str | None = None
    judge_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "attack_id": self.attack_id,
            "category": self.category,
            "strategy": self.strategy,
            "goal": self.goal,
            "succeeded": self.succeeded,
            "grader": self.grader,
            "reason": self.reason,
            "transcript": list(self.transcript),
            "error": self.error,
            "judge_reason": self.judge_reason,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AttackResult:
        return cls(
            str(data["attack_id"]),
            str(data["category"]),
            data.get("strategy"),
            str(data["goal"]),
            bool(data["succeeded"]),
            str(data.get("grader") or ""),
            str(data.get("reason") or ""),
            tuple(bounded((str(m.get("role", "")), str(m.get("content", ""))) for m in data.get("transcript") or ())),
            data.get("error"),
            data.get("judge_reason"),
        )


@dataclass(frozen=True, slots=True)
class CategoryRate:
    """Attacks graded in a category (errors excluded), how many succeeded, and the attack success rate."""

    category: str
    attacks: int
    succeeded: int
    errors: int

    @property
    def rate(self) -> float:
        return round(self.succeeded / self.attacks, 4) if self.attacks else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"attacks": self.attacks, "succeeded": self.succeeded, "errors": self.errors, "rate": self.rate}


def rates_of(results: Sequence[AttackResult]) -> dict[str, CategoryRate]:
    """Per category, in first-seen order; an errored attack is counted apart, never as a success or a defence."""
    counts: dict[str, list[int]] = {}
    for r in results:
        row = counts.setdefault(r.category, [0, 0, 0])
        if r.error is not None:
            row[2] += 1
            continue
        row[0] += 1
        row[1] += r.succeeded
    return {c: CategoryRate(c, a, s, e) for c, (a, s, e) in counts.items()}


def overall_rate(results: Sequence[AttackResult]) -> float:
    graded = [r for r in results if r.error is None]
    return round(sum(r.succeeded for r in graded) / len(graded), 4) if graded else 0.0


@dataclass(frozen=True, slots=True)
class RunDiff:
    """A run against the previous run of the same workload, attacks matched by id and corpus version."""

    run_id: str
    previous_run_id: str | None
    new_failures: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    categories: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "previous_run_id": self.previous_run_id,
            "new_failures": list(self.new_failures),
            "fixed": list(self.fixed),
            "unchanged": list(self.unchanged),
            "categories": self.categories,
        }


def diff_results(
    run_id: str,
    version: str,
    results: Sequence[AttackResult],
    previous_id: str | None,
    previous_version: str | None,
    previous: Sequence[AttackResult],
) -> RunDiff:
    """New failures (succeeded now, not before or not tried before), fixed (succeeded before, held now) and
    unchanged (succeeded both times). A failure is a successful attack; errored attacks are left out."""
    before = {r.attack_id: r for r in previous if r.error is None} if previous_version == version else {}
    now = {r.attack_id: r for r in results if r.error is None}
    new = tuple(a for a, r in now.items() if r.succeeded and not (a in before and before[a].succeeded))
    fixed = tuple(a for a, r in before.items() if r.succeeded and a in now and not now[a].succeeded)
    same = tuple(a for a, r in now.items() if r.succeeded and a in before and before[a].succeeded)
    old_rates, new_rates = rates_of(list(before.values())), rates_of(results)
    categories: dict[str, dict[str, float | None]] = {
        c: {"rate": rate.rate, "previous": old_rates[c].rate if c in old_rates else None}
        for c, rate in new_rates.items()
    }
    return RunDiff(run_id, previous_id, new, fixed, same, categories)
