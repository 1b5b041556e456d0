"""Text-similarity assertions against an expected text: rouge-n, rouge-l, token-f1 and levenshtein.

Tokens are lower-cased words (`\\w+`, Unicode); the longest common subsequence for ROUGE-L and the edit
distance come from rapidfuzz (C++, both work on token lists as on strings), which keeps them within the
runner's CPU budget on long outputs. Each falls back to the sample's `expected` when the spec has no value.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import partial

from rapidfuzz.distance import LCSseq, Levenshtein

from rungway.evals.scorers.base import Sample, Scorer, ScoreResult
from rungway.evals.scorers.registry import scorer
from rungway.evals.scorers.spec import ScorerContext, SpecReader

__all__ = ["EditDistance", "Overlap", "rouge_l", "rouge_n", "token_f1", "tokens"]

_WORD = re.compile(r"\w+")
Measure = Callable[[str, str], float]
DEFAULT_THRESHOLD = 0.75  # promptfoo's default for rouge-n and similar


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _ngrams(words: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def rouge_n(candidate: str, reference: str, n: int = 1) -> float:
    """ROUGE-N recall: the share of the reference's n-grams that the candidate has (clipped counts)."""
    ref = _ngrams(tokens(reference), n)
    total = sum(ref.values())
    if not total:
        return 0.0
    cand = _ngrams(tokens(candidate), n)
    return sum((ref & cand).values()) / total


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1: precision and recall of the longest common subsequence of words."""
    cand, ref = tokens(candidate), tokens(reference)
    if not cand or not ref:
        return 0.0
    lcs = LCSseq.similarity(cand, ref)
    if not lcs:
        return 0.0
    precision, recall = lcs / len(cand), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


def token_f1(candidate: str, reference: str) -> float:
    """Token-overlap F1 (as SQuAD scores answers): shared words counted with multiplicity."""
    cand, ref = Counter(tokens(candidate)), Counter(tokens(reference))
    common = sum((cand & ref).values())
    if not common:
        return 0.0
    precision, recall = common / sum(cand.values()), common / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


class Overlap(Scorer):
    """A similarity score in [0, 1] against the expected text; passes at or above the threshold."""

    def __init__(self, name: str, measure: Measure, reference: str | None, threshold: float) -> None:
        self.name = name
        self.measure = measure
        self.reference = reference
        self.threshold = threshold

    def score(self, sample: Sample) -> ScoreResult:
        reference = self.reference if self.reference is not None else sample.expected
        if reference is None:
            return self.error("no value and no expected output to compare with")
        value = self.measure(sample.output, reference)
        ok = value >= self.threshold
        return self.result(value, ok, f"{self.name} {value:.3f} {'>=' if ok else '<'} {self.threshold:g}")


@scorer("rouge-n")
def _rouge_n(spec: SpecReader, context: ScorerContext) -> Scorer:
    n = spec.integer("n", default=1, low=1, high=4)
    return Overlap("rouge-n", partial(rouge_n, n=n), spec.text(required=False), spec.threshold(DEFAULT_THRESHOLD))


@scorer("rouge-l")
def _rouge_l(spec: SpecReader, context: ScorerContext) -> Scorer:
    return Overlap("rouge-l", rouge_l, spec.text(required=False), spec.threshold(DEFAULT_THRESHOLD))


@scorer("token-f1")
def _token_f1(spec: SpecReader, context: ScorerContext) -> Scorer:
    return Overlap("token-f1", token_f1, spec.text(required=False), spec.threshold(DEFAULT_THRESHOLD))


class EditDistance(Scorer):
    """Levenshtein distance to the expected text at most `threshold` edits (promptfoo's default: 5).

    The value is the normalised similarity, 1 - distance / the longer length."""

    def __init__(self, reference: str | None, max_distance: int) -> None:
        self.name = "levenshtein"
        self.reference = reference
        self.max_distance = max_distance

    def score(self, sample: Sample) -> ScoreResult:
        reference = self.reference if self.reference is not None else sample.expected
        if reference is None:
            return self.error("no value and no expected output to compare with")
        distance = Levenshtein.distance(sample.output, reference)
        value = Levenshtein.normalized_similarity(sample.output, reference)
        ok = distance <= self.max_distance
        return self.result(value, ok, f"{distance} edits {'<=' if ok else '>'} {self.max_distance}")


@scorer("levenshtein")
def _levenshtein(spec: SpecReader, context: ScorerContext) -> Scorer:
    return EditDistance(spec.text(required=False), spec.integer("threshold", default=5, low=0, high=1_000_000))
