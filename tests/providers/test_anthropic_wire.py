"""OpenAI <-> Anthropic translation, one mapping at a time (no network)."""

from __future__ import annotations

from typing import Any

import pytest

from rungway.domain.usage import Usage
from rungway.errors import InvalidRequest
from rungway.providers.anthropic_wire import (
    JSON_OBJECT_INSTRUCTION,
    StreamTranslator,
    to_chat_completion,
    to_messages_request,
    usage_of,
)
from tests.providers.fake_anthropic import message, stream_events

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def translate(**body: Any) -> dict[str, Any]:
    return to_messages_request({"model": "claude-sonnet-4-5", **body}, 4096).body


def test_system_messages_go_to_system_and_max_tokens_has_a_default() -> None:
    out = translate(
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Use French."}]},
            {"role": "user", "content": "Hi"},
        ]
    )
    assert out["system"] == "Be brief.\n\nUse French."
    assert out["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]
    assert out["max_tokens"] == 4096


def test_sampling_options_stop_and_user() -> None:
    out = translate(
        messages=[{"role": "user", "content": "Hi"}],
        max_completion_tokens=50,
        temperature=1.7,
        top_p=0.9,
        stop="END",
        user="alice",
        seed=3,
    )
    assert out["max_tokens"] == 50 and out["temperature"] == 1.0 and out["top_p"] == 0.9
    assert out["stop_sequences"] == ["END"]
    assert out["metadata"] == {"user_id": "alice"}
    assert "seed" not in out


def test_images_become_base64_or_url_image_blocks() -> None:
    out = translate(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "low"}},
                ],
            }
        ]
    )
    blocks = out["messages"][0]["content"]
    assert blocks[1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
    }
    assert blocks[2] == {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}


def test_tool_calls_and_results_become_tool_use_and_tool_result_in_merged_turns() -> None:
    out = translate(
        messages=[
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    },
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
            {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "24C"}]},
            {"role": "user", "content": "Thanks, which is warmer?"},
        ],
        tools=[WEATHER],
    )
    assert [turn["role"] for turn in out["messages"]] == ["user", "assistant", "user"]
    assistant = out["messages"][1]["content"]
    assert assistant[0] == {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}}
    results = out["messages"][2]["content"]
    assert results[0] == {"type": "tool_result", "tool_use_id": "call_1", "content": "18C"}
    assert results[1] == {"type": "tool_result", "tool_use_id": "call_2", "content": [{"type": "text", "text": "24C"}]}
    assert results[2] == {"type": "text", "text": "Thanks, which is warmer?"}
    assert out["tools"] == [
        {"name": "get_weather", "input_schema": WEATHER["function"]["parameters"], "description": "Weather for a city"}
    ]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", {"type": "auto"}),
        ("none", {"type": "none"}),
        ("required", {"type": "any"}),
        ({"type": "function", "function": {"name": "get_weather"}}, {"type": "tool", "name": "get_weather"}),
    ],
)
def test_tool_choice_mapping(choice: Any, expected: dict[str, Any]) -> None:
    out = translate(messages=[{"role": "user", "content": "Hi"}], tools=[WEATHER], tool_choice=choice)
    assert out["tool_choice"] == expected


def test_parallel_tool_calls_false_disables_parallel_tool_use() -> None:
    out = translate(messages=[{"role": "user", "content": "Hi"}], tools=[WEATHER], parallel_tool_calls=False)
    assert out["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}


def test_json_schema_becomes_a_forced_tool_and_its_input_comes_back_as_content() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    request = to_messages_request(
        {
            "model": "claude",
            "messages": [{"role": "user", "content": "Name?"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "person", "schema": schema}},
        },
        1024,
    )
    assert request.schema_tool == "person"
    assert request.body["tool_choice"] == {"type": "tool", "name": "person"}
    assert request.body["tools"][0]["input_schema"] == schema
    completion, _ = to_chat_completion(message(request.body), request.schema_tool, 0)
    choice = completion["choices"][0]
    assert choice["message"]["content"] == '{"name":"Paris"}'
    assert "tool_calls" not in choice["message"] and choice["finish_reason"] == "stop"


def test_json_object_adds_a_system_instruction() -> None:
    out = translate(messages=[{"role": "user", "content": "Hi"}], response_format={"type": "json_object"})
    assert out["system"] == JSON_OBJECT_INSTRUCTION


def test_n_above_one_is_refused_naming_the_limitation() -> None:
    with pytest.raises(InvalidRequest, match="no 'n'") as caught:
        translate(messages=[{"role": "user", "content": "Hi"}], n=2)
    assert caught.value.status == 400 and caught.value.param == "n"


@pytest.mark.parametrize(
    ("messages", "problem"),
    [
        ([{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}], "input_audio"),
        ([{"role": "tool", "content": "x"}], "tool_call_id"),
        ([{"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{"}}]}], "JSON"),
        ([{"role": "function", "content": "x"}], "role"),
    ],
)
def test_untranslatable_requests_are_400s_that_say_why(messages: list[dict[str, Any]], problem: str) -> None:
    with pytest.raises(InvalidRequest, match=problem):
        translate(messages=messages)


def test_usage_counts_cached_tokens_inside_prompt_tokens() -> None:
    usage = usage_of(
        {"input_tokens": 10, "cache_read_input_tokens": 5, "cache_creation_input_tokens": 3, "output_tokens": 7}
    )
    assert usage == Usage(input=18, output=7, cached_input=5)
    assert usage.to_openai()["prompt_tokens_details"]["cached_tokens"] == 5


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("refusal", "content_filter")],
)
def test_stop_reasons(stop_reason: str, finish: str) -> None:
    answer = {"id": "msg_1", "model": "m", "content": [{"type": "text", "text": "x"}], "stop_reason": stop_reason}
    completion, _ = to_chat_completion(answer, None, 0)
    assert completion["choices"][0]["finish_reason"] == finish


def test_tool_use_answer_becomes_tool_calls() -> None:
    request = to_messages_request(
        {"model": "claude", "messages": [{"role": "user", "content": "w?"}], "tools": [WEATHER]}, 100
    )
    completion, usage = to_chat_completion(message(request.body), None, 0)
    reply = completion["choices"][0]["message"]
    assert reply["content"] == "Let me check."
    assert reply["tool_calls"] == [
        {"id": "toolu_01A", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
    ]
    assert completion["choices"][0]["finish_reason"] == "tool_calls"
    assert completion["usage"]["prompt_tokens"] == 18 and usage.output == 7


def test_stream_events_become_openai_chunks_with_tool_call_deltas_finish_and_usage() -> None:
    request = to_messages_request(
        {"model": "claude", "messages": [{"role": "user", "content": "w?"}], "tools": [WEATHER]}, 100
    )
    translator = StreamTranslator(None, 0, "claude")
    chunks = [chunk for event in stream_events(message(request.body)) for chunk in translator.translate(event)]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[0]["id"] == "msg_01XFDUDYJgAACzvnptvVoYEL"
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert "".join(d.get("content") or "" for d in deltas) == "Let me check."
    calls = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
    assert calls[0] == {
        "index": 0,
        "id": "toolu_01A",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    assert "".join(c["function"]["arguments"] for c in calls) == '{"city":"Paris"}'
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["prompt_tokens"] == 18
    assert translator.finished and translator.usage == Usage(input=18, output=7, cached_input=5)
