"""`request.py`: a Responses request validated and written as a chat-completions body."""

from __future__ import annotations

from typing import Any

import pytest

from rungway.errors import InvalidRequest
from rungway.responses.request import chat_body, chat_messages, parse_request


def parse(**body: Any) -> Any:
    return parse_request({"model": "m", **body}, "abc", 100)


def test_a_string_input_is_one_user_message_with_an_id() -> None:
    parsed = parse(input="hi", instructions="Be brief.")
    assert parsed.items == [
        {"type": "message", "id": "msg_abc_i0", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    ]
    assert chat_body(parsed, parsed.items)["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
    ]


def test_function_calls_join_one_assistant_message_and_outputs_become_tool_messages() -> None:
    parsed = parse(
        input=[
            {"role": "developer", "content": "rules"},
            {
                "role": "user",
                "content": [{"type": "input_text", "text": "look "}, {"type": "input_text", "text": "up"}],
            },
            {"type": "function_call", "call_id": "c1", "name": "a", "arguments": "{}"},
            {"type": "function_call", "call_id": "c2", "name": "b", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "one"},
            {"type": "function_call_output", "call_id": "c2", "output": "two"},
        ]
    )
    messages = chat_messages(None, parsed.items)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool", "tool"]
    assert messages[1]["content"] == "look up"
    assert [c["id"] for c in messages[2]["tool_calls"]] == ["c1", "c2"]
    assert messages[3] == {"role": "tool", "tool_call_id": "c1", "content": "one"}


def test_an_image_part_keeps_the_parts_as_chat_content() -> None:
    parsed = parse(
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "what?"},
                    {"type": "input_image", "image_url": "data:image/png;base64,AA"},
                ],
            }
        ]
    )
    content = chat_messages(None, parsed.items)[0]["content"]
    assert content[1] == {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA", "detail": "auto"}}


def test_options_map_to_chat_fields() -> None:
    tool = {"type": "function", "name": "f", "parameters": {"type": "object"}, "strict": True}
    parsed = parse(
        input="x",
        tools=[tool],
        tool_choice={"type": "function", "name": "f"},
        max_output_tokens=9,
        temperature=0.5,
        top_p=0.9,
        user="u",
        text={"format": {"type": "json_object"}},
        stream=True,
        parallel_tool_calls=False,
    )
    body = chat_body(parsed, parsed.items)
    assert body["tools"] == [
        {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}, "strict": True}}
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "f"}}
    assert (body["max_tokens"], body["temperature"], body["top_p"], body["user"]) == (9, 0.5, 0.9, "u")
    assert body["response_format"] == {"type": "json_object"} and body["parallel_tool_calls"] is False
    assert body["stream_options"] == {"include_usage": True} and "store" not in body


def test_store_defaults_to_true_and_item_references_wait_to_be_resolved() -> None:
    parsed = parse(input=[{"type": "item_reference", "id": "msg_x_0"}])
    assert parsed.store and parsed.items == [{"type": "item_reference", "id": "msg_x_0"}]


def test_too_many_items_are_refused() -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_request({"model": "m", "input": [{"role": "user", "content": "x"}] * 3}, "abc", 2)
    assert refused.value.param == "input"


def test_other_tool_types_are_refused_by_name() -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse(input="x", tools=[{"type": "web_search"}, {"type": "file_search"}])
    assert "file_search, web_search" in refused.value.message and refused.value.param == "tools"
