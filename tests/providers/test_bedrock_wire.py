"""OpenAI <-> Bedrock Converse translation, one mapping at a time (no network)."""

from __future__ import annotations

from typing import Any

import pytest

from rungway.domain.usage import INVALID_COUNT, Usage
from rungway.errors import InvalidRequest, UpstreamError
from rungway.providers.bedrock_wire import (
    JSON_OBJECT_INSTRUCTION,
    StreamTranslator,
    to_chat_completion,
    to_converse_request,
    usage_of,
)
from tests.providers.fake_bedrock import answer

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
PIXEL = "data:image/png;base64,iVBORw0KGgo="


def translate(**body: Any) -> dict[str, Any]:
    return to_converse_request({"model": "anthropic.claude-3-5-sonnet-20240620-v1:0", **body}).body


def test_system_messages_go_to_system_and_the_model_to_the_url() -> None:
    request = to_converse_request(
        {
            "model": "amazon.nova-pro-v1:0",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "developer", "content": [{"type": "text", "text": "Use French."}]},
                {"role": "user", "content": "Hi"},
            ],
        }
    )
    assert request.model == "amazon.nova-pro-v1:0" and "model" not in request.body
    assert request.body["system"] == [{"text": "Be brief."}, {"text": "Use French."}]
    assert request.body["messages"] == [{"role": "user", "content": [{"text": "Hi"}]}]
    assert "inferenceConfig" not in request.body


def test_inference_config() -> None:
    out = translate(
        messages=[{"role": "user", "content": "Hi"}], max_completion_tokens=50, temperature=1.7, top_p=0.9, stop="END"
    )
    assert out["inferenceConfig"] == {"maxTokens": 50, "temperature": 1.0, "topP": 0.9, "stopSequences": ["END"]}


def test_images_are_inline_bytes_and_web_urls_are_refused() -> None:
    parts = [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": PIXEL}}]
    out = translate(messages=[{"role": "user", "content": parts}])
    image = {"image": {"format": "png", "source": {"bytes": "iVBORw0KGgo="}}}
    assert out["messages"][0]["content"] == [{"text": "What is this?"}, image]
    web = [{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]
    with pytest.raises(InvalidRequest, match="data: URL"):
        translate(messages=[{"role": "user", "content": web}])
    with pytest.raises(InvalidRequest, match="not valid base64"):
        translate(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": PIXEL + "*"}}]}])


def test_tool_round_trip_turns_alternate() -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    out = translate(
        messages=[
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {"role": "user", "content": "Thanks"},
        ],
        tools=[WEATHER],
        tool_choice="required",
    )
    assert out["messages"][1] == {
        "role": "assistant",
        "content": [{"toolUse": {"toolUseId": "call_1", "name": "get_weather", "input": {"city": "Paris"}}}],
    }
    assert out["messages"][2] == {
        "role": "user",
        "content": [{"toolResult": {"toolUseId": "call_1", "content": [{"text": "sunny"}]}}, {"text": "Thanks"}],
    }
    spec = out["toolConfig"]["tools"][0]["toolSpec"]
    assert spec["name"] == "get_weather" and spec["inputSchema"]["json"]["required"] == ["city"]
    assert out["toolConfig"]["toolChoice"] == {"any": {}}


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", {"auto": {}}),
        ("none", None),
        ({"type": "function", "function": {"name": "x"}}, {"tool": {"name": "x"}}),
    ],
)
def test_tool_choice(choice: Any, wire: Any) -> None:
    out = translate(messages=[{"role": "user", "content": "Hi"}], tools=[WEATHER], tool_choice=choice)
    assert out["toolConfig"].get("toolChoice") == wire


def test_json_schema_is_a_forced_tool_and_json_object_an_instruction() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": {"type": "object"}}}
    request = to_converse_request(
        {"model": "m", "messages": [{"role": "user", "content": "Hi"}], "response_format": fmt}
    )
    assert request.schema_tool == "person"
    assert request.body["toolConfig"]["toolChoice"] == {"tool": {"name": "person"}}
    out = translate(messages=[{"role": "user", "content": "Hi"}], response_format={"type": "json_object"})
    assert out["system"] == [{"text": JSON_OBJECT_INSTRUCTION}]


@pytest.mark.parametrize(
    "body",
    [
        {"n": 2},
        {"messages": [{"role": "function", "content": "x"}]},
        {"messages": [{"role": "tool", "content": "x"}]},
        {
            "messages": [
                {"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "[]"}}]}
            ]
        },
        {"tools": [{"type": "web_search"}]},
        {"tool_choice": "sometimes"},
        {"max_tokens": 0},
        {"messages": "hi"},
    ],
)
def test_untranslatable_requests_are_400s(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest):
        translate(**{"messages": [{"role": "user", "content": "Hi"}], **body})


def test_answer_with_text_tool_calls_and_usage() -> None:
    reply = answer(
        "m",
        {
            "toolConfig": {
                "tools": [
                    {"toolSpec": {"name": "get_weather", "inputSchema": {"json": WEATHER["function"]["parameters"]}}}
                ]
            }
        },
    )  # type: ignore[index]
    data, usage = to_chat_completion("up", reply, None, 1700000000, "m", "chatcmpl-1")
    message = data["choices"][0]["message"]
    assert message["content"] == "Let me check."
    assert message["tool_calls"] == [
        {
            "id": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
        }
    ]
    assert data["choices"][0]["finish_reason"] == "tool_calls"
    assert usage == Usage(input=18, output=7, cached_input=5)
    assert data["usage"]["prompt_tokens_details"]["cached_tokens"] == 5


@pytest.mark.parametrize(
    ("reason", "finish"),
    [
        ("end_turn", "stop"),
        ("max_tokens", "length"),
        ("guardrail_intervened", "content_filter"),
        ("new", "stop"),
        (7, "stop"),
    ],
)
def test_stop_reasons(reason: Any, finish: str) -> None:
    reply = {"output": {"message": {"content": [{"text": "x"}]}}, "stopReason": reason}
    assert to_chat_completion("up", reply, None, 0, "m", "id")[0]["choices"][0]["finish_reason"] == finish


def test_schema_tool_answer_becomes_the_content() -> None:
    reply = {"output": {"message": {"content": [{"toolUse": {"toolUseId": "t", "name": "person", "input": {"a": 1}}}]}}}
    data, _ = to_chat_completion("up", {**reply, "stopReason": "tool_use"}, "person", 0, "m", "id")
    assert data["choices"][0]["message"]["content"] == '{"a":1}'
    assert data["choices"][0]["finish_reason"] == "stop" and "tool_calls" not in data["choices"][0]["message"]


@pytest.mark.parametrize(
    "reply",
    [
        [],
        {"output": None},
        {"output": {"message": {"content": "text"}}},
        {"output": {"message": {"content": [7]}}},
        {"output": {"message": {"content": [{"text": ["a"]}]}}},
        {"output": {"message": {"content": [{"toolUse": {"toolUseId": 1, "name": "f"}}]}}},
        {"output": {"message": {"content": [{"toolUse": "x"}]}}},
    ],
)
def test_malformed_answers_are_502s(reply: Any) -> None:
    with pytest.raises(UpstreamError) as caught:
        to_chat_completion("up", reply, None, 0, "m", "id")
    assert caught.value.status == 502 and caught.value.code == "upstream_malformed"


def test_usage_with_bad_counts_is_flagged() -> None:
    assert usage_of({"inputTokens": -1, "outputTokens": "many"}).anomaly == INVALID_COUNT
    assert usage_of(None) == Usage()


def translate_stream(events: list[tuple[str, Any]], schema_tool: str | None = None) -> list[dict[str, Any]]:
    translator = StreamTranslator("up", schema_tool, 0, "m", "chatcmpl-1")
    return [chunk for kind, payload in events for chunk in translator.translate(kind, payload)]


def test_stream_events_to_chunks() -> None:
    chunks = translate_stream(
        [
            ("messageStart", {"role": "assistant"}),
            ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}),
            ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "hmm"}}}),
            ("contentBlockStop", {"contentBlockIndex": 0}),
            ("contentBlockStart", {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "t1", "name": "f"}}}),
            ("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '{"a":'}}}),
            ("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "1}"}}}),
            ("messageStop", {"stopReason": "tool_use"}),
            ("metadata", {"usage": {"inputTokens": 3, "outputTokens": 2}}),
        ]
    )
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert deltas[0] == {"role": "assistant", "content": ""} and deltas[1] == {"content": "Hi"}
    head = {"index": 0, "id": "t1", "type": "function", "function": {"name": "f", "arguments": ""}}
    assert deltas[2] == {"tool_calls": [head]}
    assert "".join(d["tool_calls"][0]["function"]["arguments"] for d in deltas[3:5]) == '{"a":1}'
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 5


def test_stream_schema_tool_input_is_content() -> None:
    chunks = translate_stream(
        [
            ("contentBlockStart", {"contentBlockIndex": 0, "start": {"toolUse": {"toolUseId": "t", "name": "person"}}}),
            ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"toolUse": {"input": "{}"}}}),
            ("messageStop", {"stopReason": "tool_use"}),
        ],
        schema_tool="person",
    )
    assert [c["choices"][0]["delta"] for c in chunks] == [{"content": "{}"}, {}]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("contentBlockDelta", {"contentBlockIndex": -1, "delta": {"text": "x"}}),
        ("contentBlockDelta", {"contentBlockIndex": 10**9, "delta": {"text": "x"}}),
        ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": 1}}),
        ("contentBlockDelta", {"contentBlockIndex": 0, "delta": "x"}),
        ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"toolUse": {"input": {}}}}),
        ("contentBlockStart", {"contentBlockIndex": 0, "start": {"toolUse": "f"}}),
        ("contentBlockStart", {"contentBlockIndex": 0, "start": {"toolUse": {"name": 3}}}),
        ("messageStart", ["role"]),
    ],
)
def test_malformed_stream_events_are_502s(kind: str, payload: Any) -> None:
    with pytest.raises(UpstreamError) as caught:
        translate_stream([(kind, payload)])
    assert caught.value.code == "upstream_malformed"
