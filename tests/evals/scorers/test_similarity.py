"""ROUGE-N, ROUGE-L, token-overlap F1 and Levenshtein on known pairs."""

from __future__ import annotations

import pytest

from rungway.evals.scorers import InvalidAssertion
from rungway.evals.scorers.similarity import rouge_l, rouge_n, token_f1
from tests.evals.scorers.support import build, judge


def test_rouge_n_is_recall_of_the_reference_ngrams_case_insensitive() -> None:
    assert rouge_n("The Cat sat", "the cat sat") == 1.0
    assert rouge_n("the cat", "the cat sat on the mat") == pytest.approx(2 / 6)
    assert rouge_n("the cat sat", "the cat sat on", n=2) == pytest.approx(2 / 3)
    assert rouge_n("the the the", "the cat") == pytest.approx(1 / 2)  # counts are clipped
    assert rouge_n("anything", "") == 0.0


def test_rouge_l_is_the_f1_of_the_longest_common_subsequence() -> None:
    # LCS("the cat sat on the mat", "the cat on the mat") = 5 words
    assert rouge_l("the cat sat on the mat", "the cat on the mat") == pytest.approx(2 * (5 / 6) * 1 / (5 / 6 + 1))
    assert rouge_l("mat the on", "the mat on") == pytest.approx(2 / 3)
    assert rouge_l("", "x") == 0.0


def test_token_f1_counts_shared_words_with_multiplicity() -> None:
    assert token_f1("Paris is the capital", "the capital is Paris") == 1.0
    assert token_f1("Paris", "Paris France") == pytest.approx(2 / 3)
    assert token_f1("Lyon", "Paris") == 0.0


def test_similarity_assertions_pass_at_their_threshold_and_use_the_expected_output() -> None:
    assert judge({"type": "rouge-n", "value": "hello world"}, "Hello, world!").passed
    low = judge({"type": "rouge-n", "value": "hello big world"}, "hello")
    assert not low.passed and low.value == pytest.approx(1 / 3)
    assert judge({"type": "rouge-n", "value": "hello big world", "threshold": 0.3}, "hello").passed
    assert judge({"type": "rouge-l"}, "the cat on the mat", expected="the cat on the mat").value == 1.0
    assert judge({"type": "token-f1", "threshold": 0.5}, "Paris", expected="Paris France").passed
    assert judge({"type": "not-rouge-n", "value": "hello world"}, "goodbye").passed
    assert judge({"type": "rouge-l"}, "x").errored


def test_levenshtein_counts_edits_against_its_threshold() -> None:
    result = judge({"type": "levenshtein", "value": "sitting", "threshold": 3}, "kitten")
    assert result.passed and "3 edits <= 3" in result.explanation
    assert result.value == pytest.approx(1 - 3 / 7)
    assert not judge({"type": "levenshtein", "value": "sitting", "threshold": 2}, "kitten").passed
    assert judge({"type": "levenshtein"}, "hello world!", expected="hello world").passed  # default: 5 edits


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "rouge-n", "value": "x", "n": 5}, r"n: 5 is out of range"),
        ({"type": "rouge-n", "value": "x", "n": 1.5}, r"n: 1.5 is not a whole number"),
        ({"type": "rouge-l", "value": "x", "threshold": 1.5}, r"threshold: 1.5 is out of range"),
        ({"type": "levenshtein", "value": "x", "threshold": 2.5}, r"threshold: 2.5 is not a whole number"),
        ({"type": "token-f1", "value": {"a": 1}}, r"value: expected a string, got a mapping"),
    ],
)
def test_bad_similarity_specs_are_refused(spec: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidAssertion, match=message):
        build(spec)
