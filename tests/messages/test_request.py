"""A Messages request read into a chat body: every block kind, tools and tool_choice, sampling fields."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rungway.errors import InvalidRequest
from rungway.messages.request import to_chat_body


def read(**fields: Any) -> dict[str, Any]:
    return to_chat_body({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}], **fields})


def test_system_sampling_and_user_map_to_chat_fields() -> None:
    chat = read(system=[{"type": "text", "text": "A"}, {"type": "text", "text": "B"}], temperature=0.5, top_p=0.9,
                top_k=3, stop_sequences=["END"], metadata={"user_id": "u-1"}, stream=True)  # fmt: skip
    assert chat == {
        "model": "m",
        "max_tokens": 10,
        "messages": [{"role": "system", "content": "A\n\nB"}, {"role": "user", "content": "hi"}],
        "temperature": 0.5,
        "top_p": 0.9,
        "stop": ["END"],
        "user": "u-1",
        "stream": True,
    }


def test_images_tool_uses_and_tool_results_become_chat_parts_calls_and_tool_messages() -> None:
    turns = [
        {"role": "user", "content": [
            {"type": "text", "text": "look"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
        ]},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "18C"}]},
            {"type": "text", "text": "thanks"},
        ]},
    ]  # fmt: skip
    messages = to_chat_body({"model": "m", "max_tokens": 5, "messages": turns})["messages"]
    assert messages[0]["content"] == [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
    ]
    call = messages[1]["tool_calls"][0]
    assert messages[1]["content"] == "Checking." and call["id"] == "toolu_1"
    assert call["function"]["name"] == "get_weather" and json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert messages[2] == {"role": "tool", "tool_call_id": "toolu_1", "content": "18C"}
    assert messages[3] == {"role": "user", "content": "thanks"}


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "any"}, "required"),
        ({"type": "none"}, "none"),
        ({"type": "tool", "name": "get_weather"}, {"type": "function", "function": {"name": "get_weather"}}),
    ],
)
def test_tools_and_tool_choice(choice: dict[str, Any], expected: object) -> None:
    tool = {"name": "get_weather", "description": "d", "input_schema": {"type": "object"}}
    chat = read(tools=[tool], tool_choice={**choice, "disable_parallel_tool_use": True})
    assert chat["tools"] == [
        {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}, "description": "d"}}
    ]
    assert chat["tool_choice"] == expected
    assert chat.get("parallel_tool_calls") is (None if choice["type"] == "none" else False)


def test_count_tokens_needs_no_max_tokens_and_a_failed_tool_result_says_so() -> None:
    chat = to_chat_body(
        {"model": "m", "messages": [{"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t", "content": "boom", "is_error": True}]}]},
        need_max_tokens=False,
    )  # fmt: skip
    assert "max_tokens" not in chat and chat["messages"] == [
        {"role": "tool", "tool_call_id": "t", "content": "Error: boom"}
    ]
    with pytest.raises(InvalidRequest, match="max_tokens: Field required"):
        to_chat_body({"model": "m", "messages": [{"role": "user", "content": "hi"}]})


@pytest.mark.parametrize(
    "fields",
    [
        {"tools": [{"type": "web_search_20250305", "name": "web_search"}]},
        {"tool_choice": {"type": "tool"}},
        {"system": [{"type": "image"}]},
        {"top_p": -0.1},
        {"metadata": {"user_id": 5}},
        {"messages": [{"role": "assistant", "content": [{"type": "tool_use", "id": "x", "name": "f", "input": []}]}]},
        {"messages": [{"role": "user", "content": [{"type": "tool_result"}]}]},
        {
            "messages": [
                {"role": "user", "content": [{"type": "image", "source": {"type": "url", "url": "file:///etc/passwd"}}]}
            ]
        },
    ],
)
def test_what_anthropic_would_refuse_is_an_invalid_request(fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest):
        read(**fields)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
FIELDS = ["model", "max_tokens", "system", "messages", "tools", "tool_choice", "temperature", "top_p",
          "stop_sequences", "metadata", "stream", "top_k"]  # fmt: skip
BLOCK_KEYS = ["type", "text", "source", "tool_use_id", "content", "id", "name", "input", "is_error"]


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A valid request with some fields, turns or block keys replaced by arbitrary JSON."""
    block = {"type": draw(st.sampled_from(["text", "image", "tool_use", "tool_result", "thinking"]))}
    block |= draw(st.dictionaries(st.sampled_from(BLOCK_KEYS), JSON, max_size=4))
    role = draw(st.sampled_from(["user", "assistant", "system"]))
    body: dict[str, Any] = {"model": "m", "max_tokens": 5, "messages": [{"role": role, "content": [block]}]}
    body |= draw(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=3))
    return body


@settings(max_examples=300, deadline=None)
@given(bodies())
def test_any_body_is_read_or_refused_as_an_invalid_request_never_a_crash(body: dict[str, Any]) -> None:
    try:
        chat = to_chat_body(body)
    except InvalidRequest as refused:
        assert refused.status == 400 and refused.message
        return
    assert isinstance(chat["messages"], list) and isinstance(chat["max_tokens"], int)
