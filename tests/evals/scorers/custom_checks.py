"""Functions the `python` assertion tests name by dotted path, as a team's own module would."""

from __future__ import annotations

from rungway.evals.scorers import Sample, ScoreResult


def is_polite(sample: Sample) -> bool:
    return "please" in sample.output.lower()


def share_of_vowels(sample: Sample) -> float:
    letters = [c for c in sample.output.lower() if c.isalpha()]
    return sum(c in "aeiou" for c in letters) / len(letters) if letters else 0.0


def full_result(sample: Sample) -> ScoreResult:
    return ScoreResult(0.25, False, "custom judgement", "team-scorer", "7")


def broken(sample: Sample) -> bool:
    raise RuntimeError("the team's bug")


def wrong_type(sample: Sample) -> str:
    return "yes"


NOT_CALLABLE = 3


def out_of_range(sample: Sample) -> ScoreResult:
    return ScoreResult(1.5, True, "too good", "team-scorer", "1")
