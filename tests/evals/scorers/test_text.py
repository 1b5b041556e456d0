"""Text assertions on known outputs: equals, the contains family, starts-with, regex, word and character counts."""

from __future__ import annotations

import pytest

from rungway.evals.scorers import InvalidAssertion
from tests.evals.scorers.support import build, judge


def test_equals_compares_exactly_and_falls_back_to_the_expected_output() -> None:
    assert judge({"type": "equals", "value": "Paris"}, "Paris").passed
    assert not judge({"type": "equals", "value": "Paris"}, "paris").passed
    assert judge({"type": "equals"}, "42", expected="42").passed
    assert judge({"type": "equals", "value": 42}, "42").passed


def test_equals_with_a_json_value_compares_parsed_json() -> None:
    assert judge({"type": "equals", "value": {"a": 1, "b": [1, 2]}}, '{"b": [1, 2], "a": 1}').passed
    failed = judge({"type": "equals", "value": {"a": 1}}, '{"a": 2}')
    assert not failed.passed and failed.value == 0.0
    assert "not JSON" in judge({"type": "equals", "value": {"a": 1}}, "a=1").explanation
    assert not judge({"type": "equals", "value": {"ok": True}}, '{"ok": 1}').passed  # true is not 1 in JSON


def test_equals_without_value_or_expected_is_an_error_not_a_pass() -> None:
    result = judge({"type": "equals"}, "anything")
    assert result.errored and not result.passed
    negated = judge({"type": "not-equals"}, "anything")
    assert negated.errored and not negated.passed


@pytest.mark.parametrize(
    ("spec", "output", "passed"),
    [
        ({"type": "contains", "value": "Paris"}, "It is Paris.", True),
        ({"type": "contains", "value": "paris"}, "It is Paris.", False),
        ({"type": "icontains", "value": "paris"}, "It is PARIS.", True),
        ({"type": "contains", "value": 0}, "0 errors", True),
        ({"type": "not-contains", "value": "sorry"}, "Here you go", True),
        ({"type": "not-contains", "value": "sorry"}, "sorry, no", False),
        ({"type": "contains-any", "value": ["cat", "dog"]}, "a dog", True),
        ({"type": "contains-any", "value": ["cat", "dog"]}, "a bird", False),
        ({"type": "icontains-any", "value": ["CAT", "DOG"]}, "a dog", True),
        ({"type": "contains-all", "value": ["cat", "dog"]}, "cat and dog", True),
        ({"type": "contains-all", "value": ["cat", "dog"]}, "cat only", False),
        ({"type": "icontains-all", "value": ["Cat", "Dog"]}, "CAT and DOG", True),
        ({"type": "contains-all", "value": 'one, "1,000"'}, "one costs 1,000", True),
        ({"type": "contains-all", "value": 'one, "1,000"'}, "one costs 1000", False),
        ({"type": "not-icontains-any", "value": ["error", "fail"]}, "All good", True),
        ({"type": "starts-with", "value": "Yes"}, "Yes, indeed", True),
        ({"type": "starts-with", "value": "Yes"}, " Yes", False),
    ],
)
def test_contains_family_and_starts_with(spec: dict[str, object], output: str, passed: bool) -> None:
    result = judge(spec, output)
    assert result.passed is passed
    assert result.value == (1.0 if passed else 0.0)
    assert result.scorer == spec["type"] and result.version == "1"


def test_contains_all_names_what_is_missing() -> None:
    result = judge({"type": "contains-all", "value": ["alpha", "beta", "gamma"]}, "alpha only")
    assert "missing 2 of 3" in result.explanation and "'beta'" in result.explanation


def test_regex_searches_the_output() -> None:
    assert judge({"type": "regex", "value": r"\d{4}"}, "in 2026 we").passed
    assert not judge({"type": "regex", "value": r"^\d{4}$"}, "in 2026 we").passed
    assert judge({"type": "not-regex", "value": r"(?i)error"}, "fine").passed


def test_a_catastrophically_backtracking_regex_gives_an_error_not_a_hang() -> None:
    result = judge({"type": "regex", "value": r"(a|aa)+$"}, "a" * 5000 + "!")
    assert result.errored and not result.passed and "gave up" in result.explanation
    assert judge({"type": "not-regex", "value": r"(a|aa)+$"}, "a" * 5000 + "!").errored


def test_regex_refuses_bad_and_oversized_patterns() -> None:
    with pytest.raises(InvalidAssertion, match=r"value: is not a valid regular expression"):
        build({"type": "regex", "value": "(unclosed"})
    with pytest.raises(InvalidAssertion, match=r"over the 1000 limit"):
        build({"type": "regex", "value": "a" * 1001})


@pytest.mark.parametrize(
    ("spec", "output", "passed"),
    [
        ({"type": "word-count", "value": 3}, "one two three", True),
        ({"type": "word-count", "value": 3}, "one two", False),
        ({"type": "word-count", "value": {"min": 2, "max": 4}}, "one two three", True),
        ({"type": "word-count", "value": {"max": 2}}, "one two three", False),
        ({"type": "length", "value": {"min": 5}}, "abcd", False),
        ({"type": "length", "value": {"min": 1, "max": 10}}, "abcd", True),
    ],
)
def test_word_and_character_count_bounds(spec: dict[str, object], output: str, passed: bool) -> None:
    assert judge(spec, output).passed is passed


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "contains"}, r"value: is missing"),
        ({"type": "contains", "value": ""}, r"value: is empty"),
        ({"type": "contains", "value": ["a"]}, r"value: expected a string, got a list"),
        ({"type": "contains-any", "value": []}, r"value: has 0 items"),
        ({"type": "contains-any", "value": ["a", {"b": 1}]}, r"value\[1\]: expected a string"),
        ({"type": "contains", "value": "a", "threshold": 0.5}, r"threshold: this assertion is pass/fail"),
        ({"type": "word-count", "value": {"min": 5, "max": 2}}, r"min 5 is above max 2"),
        ({"type": "word-count", "value": {"least": 5}}, r"expected a count or \{min, max\}"),
        ({"type": "length", "value": -1}, r"is negative"),
        ({"type": "contains", "value": "a", "vaule": "b"}, r"vaule: is not a key .*did you mean 'value'"),
    ],
)
def test_bad_specs_name_where_the_field_and_the_fix(spec: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidAssertion, match=message) as caught:
        build(spec)
    assert str(caught.value).startswith("cases.yaml:3 (case 'c1') assert[0]: ")
    assert "Fix: " in str(caught.value)
    assert caught.value.status == 400
