"""Streamed deltas assembled into the completion they add up to (`gateway/stream_output.py`)."""

from __future__ import annotations

import orjson

from rungway.domain.usage import Usage
from rungway.gateway.stream_output import StreamOutput
from tests.providers.fake_openai import stream_chunks

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


def assembled(chunks: list[dict[str, object]], raw_from: int) -> dict[str, object]:
    """The completion of `chunks`, the first `raw_from` added parsed and the rest as raw bytes (as the relay)."""
    out = StreamOutput()
    for index, chunk in enumerate(chunks):
        if index < raw_from:
            out.add(chunk["choices"])  # type: ignore[arg-type]
        else:
            out.add_raw(orjson.dumps(chunk))
    return out.as_completion(chunks[0], Usage(12, 6))  # type: ignore[arg-type]


def test_raw_chunks_assemble_the_same_answer_for_content_and_tool_calls() -> None:
    for body in (
        {"model": "m", "messages": [], "stream_options": {"include_usage": True}},
        {"model": "m", "messages": [], "tools": TOOLS},
    ):
        chunks = stream_chunks(body)
        parsed = assembled(chunks, len(chunks))
        assert parsed["choices"]
        for raw_from in (0, 1, 2):
            assert assembled(chunks, raw_from) == parsed


def test_a_parsed_chunk_after_raw_ones_keeps_the_order_and_a_broken_raw_chunk_is_skipped() -> None:
    out = StreamOutput()
    out.add_raw(b'{"choices":[{"index":0,"delta":{"content":"a"}}]}')
    out.add_raw(b'{"choices":[{"index":0,"delta":{"content":"cut')
    out.add_raw(b'{"choices":[{"index":0,"delta":{"content":"b"}}]}')
    assert out.add([{"index": 0, "delta": {"content": "c"}, "finish_reason": "stop"}])
    assert out.relayed_output_tokens() == 3
    assert out.as_completion({}, None)["choices"][0]["message"]["content"] == "abc"
