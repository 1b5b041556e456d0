"""The simulator refuses what OpenAI refuses (`providers/simulator/validate.py`), naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from rungway.errors import InvalidRequest
from rungway.providers.simulator.validate import validate_chat, validate_embeddings

HELLO = [{"role": "user", "content": "hi"}]


def test_a_well_formed_chat_body_passes() -> None:
    validate_chat({"messages": HELLO, "n": 2, "temperature": 1.5, "top_p": 1, "stop": ["a", "b"], "seed": -5,
                   "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
                   "tool_choice": {"type": "function", "function": {"name": "f"}},
                   "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {}}}})  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": 3}]}, "messages[0].content"),
        ({"messages": [{"role": "user", "content": ["x"]}]}, "messages[0].content"),
        ({"messages": [{"role": "assistant", "tool_calls": ["x"]}]}, "messages[0].tool_calls"),
        ({"n": 0}, "n"),
        ({"max_tokens": 1_000_001}, "max_tokens"),
        ({"temperature": 2.5}, "temperature"),
        ({"top_p": True}, "top_p"),
        ({"seed": 2**63}, "seed"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"stop": 5}, "stop"),
        ({"tools": {}}, "tools"),
        ({"tools": [{"type": "function", "function": {}}]}, "tools[0]"),
        ({"tools": [{"type": "function", "function": {"name": "f", "parameters": []}}]},
         "tools[0].function.parameters"),
        ({"functions": ["f"]}, "functions"),
        ({"tool_choice": "always"}, "tool_choice"),
        ({"response_format": {"type": "xml"}}, "response_format"),
        ({"response_format": {"type": "json_schema", "json_schema": {}}}, "response_format.json_schema"),
        ({"response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": []}}},
         "response_format.json_schema.schema"),
    ],
)  # fmt: skip
def test_a_bad_chat_field_is_refused_by_name(fields: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        validate_chat({"messages": HELLO, **fields})
    assert caught.value.param == param and caught.value.status == 400


@pytest.mark.parametrize(
    ("value", "inputs"),
    [("text", ["text"]), (["a", "b"], ["a", "b"]), ([1, 2, 3], [[1, 2, 3]]), ([[1], [2, 3]], [[1], [2, 3]])],
)
def test_embedding_inputs_are_strings_or_token_arrays(value: Any, inputs: list[Any]) -> None:
    assert validate_embeddings({"input": value}) == inputs


@pytest.mark.parametrize("value", [None, [], ["a", 1], [True], [[]], [[1, "x"]], 5])
def test_other_embedding_inputs_are_refused(value: Any) -> None:
    with pytest.raises(InvalidRequest) as caught:
        validate_embeddings({"input": value})
    assert caught.value.param == "input"
