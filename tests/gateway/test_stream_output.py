"""Streamed deltas assembled into the completion they add up to (`gateway/stream_output.py`)."""

from __future__ import annotations

from rungway.domain.usage import Usage
from rungway.gateway.stream_output import StreamOutput
from tests.providers.fake_openai import completion, stream_chunks

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]


def test_content_tool_calls_and_finish_reasons_per_choice() -> None:
    out = StreamOutput()
    assert not out.add([{"index": 0, "delta": {"role": "assistant"}}])
    assert out.add([{"index": 0, "delta": {"content": "Hel"}}, {"index": 1, "delta": {"content": "Bon"}}])
    assert out.add([{"index": 0, "delta": {"content": "lo"}}, {"index": 1, "delta": {"content": "jour"}}])
    call = {"index": 0, "id": "call_1", "function": {"name": "get_", "arguments": '{"ci'}}
    assert out.add([{"index": 1, "delta": {"tool_calls": [call]}}])
    more = {"index": 0, "function": {"name": "weather", "arguments": 'ty":"Oslo"}'}}
    assert out.add([{"index": 1, "delta": {"tool_calls": [more]}}])
    out.add(
        [{"index": 0, "delta": {}, "finish_reason": "stop"}, {"index": 1, "delta": {}, "finish_reason": "tool_calls"}]
    )
    completion = out.as_completion({"id": "chatcmpl-1", "model": "gpt-4o-mini"}, Usage(5, 7))
    assert completion["id"] == "chatcmpl-1" and completion["object"] == "chat.completion"
    assert completion["choices"] == [
        {"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop"},
        {
            "index": 1,
            "message": {
                "role": "assistant",
                "content": "Bonjour",
                "tool_calls": [{"id": "call_1", "type": "function",
                                "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}],
            },
            "finish_reason": "tool_calls",
        },
    ]  # fmt: skip
    assert completion["usage"]["total_tokens"] == 12


def test_a_stream_without_usage_or_content() -> None:
    out = StreamOutput()
    out.add([{"delta": {}, "finish_reason": "length"}])  # no index: choice 0
    completion = out.as_completion({}, None)
    assert completion["usage"] is None
    assert completion["choices"] == [{"index": 0, "message": {"role": "assistant", "content": None},
                                      "finish_reason": "length"}]  # fmt: skip


def test_relayed_tokens_count_one_per_text_delta_or_one_per_four_characters_if_more() -> None:
    out = StreamOutput()
    for _ in range(3):
        out.add([{"delta": {"content": "a"}}])
    assert out.relayed_output_tokens() == 3
    out.add([{"delta": {"content": "x" * 40}}])  # an upstream packing many tokens in one delta
    assert out.relayed_output_tokens() == (3 + 40 + 3) // 4
    assert StreamOutput().relayed_output_tokens() == 0


def test_the_answer_of_a_content_stream_and_a_tool_call_stream_is_the_completion() -> None:
    for body in ({"model": "m", "messages": []}, {"model": "m", "messages": [], "tools": TOOLS}):
        out = StreamOutput()
        for chunk in stream_chunks(body):
            out.add(chunk["choices"])
        message = completion(body)["choices"][0]["message"]
        answer = out.as_completion(stream_chunks(body)[0], None)["choices"][0]
        assert answer["message"]["content"] == message["content"]
        assert answer["message"].get("tool_calls") == message.get("tool_calls")
        assert answer["finish_reason"] == completion(body)["choices"][0]["finish_reason"]


def test_a_text_chunk_after_a_tool_call_or_for_a_new_choice_takes_the_general_walk() -> None:
    out = StreamOutput()
    assert out.add([{"index": 0, "delta": {"content": "a"}}])
    assert not out.add([{"index": 0, "delta": {"content": ""}}])
    assert out.add([{"index": 1, "delta": {"content": "b"}}])  # a new choice index
    assert out.add([{"index": 0, "delta": {"content": "c", "tool_calls": [{"index": 0, "id": "t"}]}}])
    out.add([{"index": 0, "delta": {"content": "d"}, "finish_reason": "stop"}])
    choices = out.as_completion({}, None)["choices"]
    assert [c["message"]["content"] for c in choices] == ["acd", "b"]
    assert choices[0]["finish_reason"] == "stop" and choices[0]["message"]["tool_calls"][0]["id"] == "t"
    assert out.relayed_output_tokens() == 4
