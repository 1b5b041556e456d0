"""Tool-call assertions: name and arguments (exact or partial), F1 over tool names, and schema validity."""

from __future__ import annotations

import pytest

from rungway.evals.scorers import InvalidAssertion, ToolCall
from rungway.evals.scorers.tools import arguments_match
from tests.evals.scorers.support import build, judge

WEATHER = ToolCall("get_weather", '{"city": "Paris", "units": "c", "days": [1, 2]}')
FLIGHT = ToolCall("book_flight", '{"to": "LA"}')


def test_a_call_by_name_alone() -> None:
    assert judge({"type": "tool-call", "value": "get_weather"}, tool_calls=(WEATHER,)).passed
    result = judge({"type": "tool-call", "value": "book_flight"}, tool_calls=(WEATHER,))
    assert not result.passed and "called: get_weather" in result.explanation
    assert "called no tool" in judge({"type": "tool-call", "value": "x"}).explanation


def test_partial_arguments_allow_extra_keys_and_exact_does_not() -> None:
    partial = {"type": "tool-call", "value": {"name": "get_weather", "arguments": {"city": "Paris"}}}
    assert judge(partial, tool_calls=(WEATHER,)).passed
    exact = {**partial, "mode": "exact"}
    assert not judge(exact, tool_calls=(WEATHER,)).passed
    whole = {"city": "Paris", "units": "c", "days": [1, 2]}
    assert judge({**exact, "value": {"name": "get_weather", "args": whole}}, tool_calls=(WEATHER,)).passed
    wrong = {"type": "tool-call", "value": {"name": "get_weather", "arguments": {"city": "Lyon"}}}
    assert not judge(wrong, tool_calls=(WEATHER,)).passed


def test_several_expected_calls_score_the_fraction_matched() -> None:
    spec = {"type": "tool-call", "value": [{"name": "get_weather"}, {"name": "book_flight"}, "send_email"]}
    result = judge(spec, tool_calls=(WEATHER, FLIGHT))
    assert not result.passed and result.value == pytest.approx(2 / 3)
    assert judge({**spec, "value": ["get_weather", "book_flight"]}, tool_calls=(FLIGHT, WEATHER)).passed
    twice = {"type": "tool-call", "value": ["get_weather", "get_weather"]}
    assert not judge(twice, tool_calls=(WEATHER,)).passed  # one call cannot match two expectations


def test_arguments_that_are_not_json_never_match() -> None:
    broken = ToolCall("get_weather", '{"city": ')
    spec = {"type": "tool-call", "value": {"name": "get_weather", "arguments": {"city": "Paris"}}}
    assert not judge(spec, tool_calls=(broken,)).passed


def test_json_equality_keeps_booleans_apart_from_numbers() -> None:
    assert arguments_match({"n": 1}, {"n": 1.0}, partial=False)
    assert not arguments_match({"flag": True}, {"flag": 1}, partial=False)
    assert arguments_match({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}, "d": 3}, partial=True)
    assert not arguments_match({"a": [1]}, {"a": [1, 2]}, partial=True)


def test_tool_call_f1_compares_the_sets_of_names() -> None:
    spec = {"type": "tool-call-f1", "value": ["get_weather", "book_flight"]}
    assert judge(spec, tool_calls=(WEATHER, FLIGHT)).value == 1.0
    half = judge(spec, tool_calls=(WEATHER,))
    assert half.value == pytest.approx(2 / 3) and not half.passed
    assert judge({**spec, "threshold": 0.6}, tool_calls=(WEATHER,)).passed
    assert judge({"type": "tool-call-f1", "value": "get_weather, book_flight"}, tool_calls=(FLIGHT,)).value > 0
    assert judge(spec).value == 0.0


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]


def test_valid_openai_tools_call_checks_names_and_argument_schemas() -> None:
    spec = {"type": "is-valid-openai-tools-call", "value": TOOLS}
    assert judge(spec, tool_calls=(ToolCall("get_weather", '{"city": "Paris"}'),)).passed
    assert "required" in judge(spec, tool_calls=(ToolCall("get_weather", "{}"),)).explanation
    assert "not a declared tool" in judge(spec, tool_calls=(FLIGHT,)).explanation
    assert "not JSON" in judge(spec, tool_calls=(ToolCall("get_weather", "{"),)).explanation
    assert not judge(spec).passed


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "tool-call"}, r"value: expected \{name, arguments\?\}"),
        ({"type": "tool-call", "value": {"name": "x", "argz": {}}}, r"value.argz: is not a key"),
        ({"type": "tool-call", "value": {"name": "x", "arguments": [1]}}, r"value.arguments: expected a mapping"),
        ({"type": "tool-call", "value": "x", "mode": "subset"}, r"mode: 'subset' is not one of partial, exact"),
        ({"type": "tool-call", "value": []}, r"value: expected one call or a list"),
        ({"type": "is-valid-openai-tools-call"}, r"value: expected the list of tools"),
        ({"type": "is-valid-openai-tools-call", "value": [{"function": {}}]}, r"value\[0\]: expected \{type"),
        (
            {"type": "is-valid-openai-tools-call", "value": [{"function": {"name": "f", "parameters": {"type": 1}}}]},
            r"value\[0\].function.parameters: is not a valid JSON Schema",
        ),
        ({"type": "tool-call-f1", "value": ["a"], "threshold": 2}, r"threshold: 2 is out of range"),
    ],
)
def test_bad_tool_specs_are_refused(spec: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidAssertion, match=message):
        build(spec)
