"""is-json and contains-json, with and without a JSON Schema, and numeric closeness."""

from __future__ import annotations

import pytest

from rungway.evals.scorers import InvalidAssertion
from rungway.evals.scorers.structured import MAX_JSON_CANDIDATES, first_number, json_candidates
from tests.evals.scorers.support import build, judge

POINT = {
    "type": "object",
    "required": ["latitude", "longitude"],
    "properties": {
        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
    },
}


def test_is_json_checks_the_whole_output() -> None:
    assert judge({"type": "is-json"}, '{"a": 1}').passed
    assert judge({"type": "is-json"}, "[1, 2]").passed
    failed = judge({"type": "is-json"}, 'Sure: {"a": 1}')
    assert not failed.passed and "not JSON" in failed.explanation
    assert judge({"type": "not-is-json"}, "plain text").passed


def test_is_json_with_a_schema_names_the_failing_path() -> None:
    assert judge({"type": "is-json", "value": POINT}, '{"latitude": 48.8, "longitude": 2.3}').passed
    result = judge({"type": "is-json", "value": POINT}, '{"latitude": 123, "longitude": 2.3}')
    assert not result.passed and "at latitude" in result.explanation
    assert "required" in judge({"type": "is-json", "value": POINT}, '{"latitude": 1}').explanation


def test_contains_json_finds_json_inside_prose_and_code_fences() -> None:
    text = 'Here it is:\n```json\n{"latitude": 48.8, "longitude": 2.3}\n```\nAnything else?'
    assert judge({"type": "contains-json"}, text).passed
    assert judge({"type": "contains-json", "value": POINT}, text).passed
    assert not judge({"type": "contains-json"}, "no braces here").passed
    wrong = 'first {"latitude": 500, "longitude": 0} then [1, 2]'
    result = judge({"type": "contains-json", "value": POINT}, wrong)
    assert not result.passed and "matches the schema" in result.explanation


def test_contains_json_work_is_bounded_on_hostile_output() -> None:
    assert json_candidates("{" * 100_000) == []
    found = json_candidates("{x " * (MAX_JSON_CANDIDATES + 5) + '{"a": 1}')
    assert found == []  # gave up after MAX_JSON_CANDIDATES starting points
    assert json_candidates('x {"a": 1} y [2]') == [{"a": 1}, [2]]


def test_a_bad_schema_is_refused_when_the_assertion_is_built() -> None:
    with pytest.raises(InvalidAssertion, match=r"value: is not a valid JSON Schema"):
        build({"type": "is-json", "value": {"type": "nonsense"}})
    with pytest.raises(InvalidAssertion, match=r"value: expected a JSON Schema mapping"):
        build({"type": "contains-json", "value": "file://schema.json"})


@pytest.mark.parametrize(
    ("output", "expected", "tolerance", "passed"),
    [
        ("42", 42, 0, True),
        ("The answer is 42.0 exactly", 42, 0, True),
        ("about 3.14", 3.14159, 0.01, True),
        ("about 3.2", 3.14159, 0.01, False),
        ("It costs 1,234.5 dollars", 1234.5, 0, True),
        ("-7", -7, 0, True),
        ("no number", 1, 10, False),
    ],
)
def test_numeric_closeness(output: str, expected: float, tolerance: float, passed: bool) -> None:
    assert judge({"type": "numeric", "value": expected, "threshold": tolerance}, output).passed is passed


def test_numeric_needs_a_number_and_a_non_negative_tolerance() -> None:
    with pytest.raises(InvalidAssertion, match=r"value: is missing"):
        build({"type": "numeric"})
    with pytest.raises(InvalidAssertion, match=r"value: expected a number, got the string"):
        build({"type": "numeric", "value": "forty"})
    with pytest.raises(InvalidAssertion, match=r"threshold: -1 is out of range"):
        build({"type": "numeric", "value": 1, "threshold": -1})
    assert first_number("1e3 things") == 1000.0
