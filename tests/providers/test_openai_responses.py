"""A Responses answer read as chat for the gateway's records: JSON, and stream events one by one."""

from __future__ import annotations

from rungway.domain.usage import Usage
from rungway.providers.openai_responses import ResponsesEventReader, response_as_chat, response_usage
from tests.providers.fake_responses import TEXT, USAGE, response, stream_events

TOOL = {"type": "function", "name": "lookup", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}


def test_a_message_answer_is_a_chat_completion_with_usage() -> None:
    chat, usage = response_as_chat(response({"model": "m", "input": "hi"}), 7)
    assert chat["choices"] == [{"index": 0, "message": {"role": "assistant", "content": TEXT}, "finish_reason": "stop"}]
    assert usage == Usage.reported(12, 6, 4) and chat["usage"] == usage.to_openai()


def test_a_function_call_is_a_tool_call() -> None:
    chat, _ = response_as_chat(response({"model": "m", "input": "hi", "tools": [TOOL]}), 7)
    (choice,) = chat["choices"]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    assert choice["message"]["tool_calls"] == [
        {"id": "call_up", "type": "function", "function": {"name": "lookup", "arguments": '{"q":"Paris"}'}}
    ]


def test_an_incomplete_response_finishes_with_length() -> None:
    answer = {**response({"model": "m", "input": "hi"}), "status": "incomplete",
              "incomplete_details": {"reason": "max_output_tokens"}}  # fmt: skip
    assert response_as_chat(answer, 1)[0]["choices"][0]["finish_reason"] == "length"


def test_usage_reads_cached_tokens_and_refuses_garbage() -> None:
    assert response_usage(USAGE) == Usage.reported(12, 6, 4)
    assert response_usage("nonsense") is None


def test_stream_events_become_chunks_with_text_tool_calls_and_usage() -> None:
    for body, expect_tool in (
        ({"model": "m", "input": "hi"}, False),
        ({"model": "m", "input": "hi", "tools": [TOOL]}, True),
    ):
        reader = ResponsesEventReader(5, "m")
        chunks = [chunk for event in stream_events(response(body)) for chunk in reader.read(event)]
        assert reader.finished and reader.usage == Usage.reported(12, 6, 4)
        assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
        assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["prompt_tokens"] == 12
        deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
        if expect_tool:
            calls = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
            assert calls[0]["function"]["name"] == "lookup" and calls[0]["id"] == "call_up"
            assert "".join(c["function"]["arguments"] for c in calls) == '{"q":"Paris"}'
            assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
        else:
            assert "".join(d.get("content") or "" for d in deltas) == TEXT
            assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
