"""OpenAI <-> Gemini translation, one mapping at a time (no network): requests, answers, streams, errors."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from rungway.domain.usage import INVALID_COUNT, Usage
from rungway.errors import InvalidRequest, RateLimited, UpstreamError, UpstreamRejected
from rungway.providers.gemini_answer import (
    BadAnswer,
    StreamTranslator,
    gemini_failure,
    to_chat_completion,
    usage_of,
)
from rungway.providers.gemini_embed import to_embed_request, to_embeddings
from rungway.providers.gemini_wire import model_path, split_call_id, to_gemini_request
from tests.providers.fake_gemini import answer, stream_events

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
HI = [{"role": "user", "content": "Hi"}]


def translate(schema_style: str = "json_schema", **body: Any) -> dict[str, Any]:
    return to_gemini_request({"model": "gemini-2.5-flash", **body}, schema_style).body


def test_system_goes_to_system_instruction_and_roles_map_to_user_and_model() -> None:
    out = translate(
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Use French."}]},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Bonjour"},
            {"role": "user", "content": [{"type": "text", "text": "Again"}]},
        ]
    )
    assert out["systemInstruction"] == {"parts": [{"text": "Be brief."}, {"text": "Use French."}]}
    assert [c["role"] for c in out["contents"]] == ["user", "model", "user"]
    assert out["contents"][1]["parts"] == [{"text": "Bonjour"}]


def test_generation_config_options() -> None:
    out = translate(
        messages=HI, temperature=0.3, top_p=0.9, max_completion_tokens=50, stop="END", n=2, seed=7, user="u"
    )
    assert out["generationConfig"] == {
        "temperature": 0.3,
        "topP": 0.9,
        "seed": 7,
        "maxOutputTokens": 50,
        "candidateCount": 2,
        "stopSequences": ["END"],
    }


def test_images_and_audio_become_inline_or_file_data() -> None:
    content = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
    ]
    parts = translate(messages=[{"role": "user", "content": content}])["contents"][0]["parts"]
    assert parts[1] == {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}
    assert parts[2] == {"fileData": {"fileUri": "https://example.com/cat.jpg", "mimeType": "image/jpeg"}}
    assert parts[3] == {"inlineData": {"mimeType": "audio/wav", "data": "UklGRg=="}}


def test_tools_and_tool_choice() -> None:
    out = translate(messages=HI, tools=[WEATHER], tool_choice="required")
    declaration = out["tools"][0]["functionDeclarations"][0]
    assert declaration["name"] == "get_weather" and declaration["parametersJsonSchema"]["required"] == ["city"]
    assert out["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    named = translate(messages=HI, tools=[WEATHER], tool_choice={"type": "function", "function": {"name": "x"}})
    assert named["toolConfig"]["functionCallingConfig"] == {"mode": "ANY", "allowedFunctionNames": ["x"]}


def test_openapi_style_drops_keys_gemini_schema_refuses() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    out = translate("openapi", messages=HI, tools=[WEATHER], response_format=fmt)
    assert "additionalProperties" not in out["tools"][0]["functionDeclarations"][0]["parameters"]
    assert out["generationConfig"]["responseSchema"] == {"type": "object", "properties": {"a": {"type": "string"}}}
    assert out["generationConfig"]["responseMimeType"] == "application/json"
    assert translate(messages=HI, response_format=fmt)["generationConfig"]["responseJsonSchema"] == schema


def test_tool_round_trip_names_the_function_and_returns_the_thought_signature() -> None:
    messages = [
        *HI,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "fc-1~ts~c2ln", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "fc-1~ts~c2ln", "content": '{"sky": "grey"}'},
        {"role": "tool", "tool_call_id": "fc-1", "content": "plain text"},
    ]
    contents = translate(messages=messages)["contents"]
    assert contents[1]["parts"] == [
        {"functionCall": {"name": "get_weather", "args": {}, "id": "fc-1"}, "thoughtSignature": "c2ln"}
    ]
    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "get_weather", "response": {"sky": "grey"}, "id": "fc-1"}},
        {"functionResponse": {"name": "get_weather", "response": {"content": "plain text"}, "id": "fc-1"}},
    ]
    assert split_call_id("call_1") == ("call_1", None)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"messages": [{"role": "tool", "tool_call_id": "nope", "content": "x"}]}, "no earlier assistant"),
        ({"messages": [{"role": "system", "content": "only"}]}, "at least one user"),
        ({"messages": [{"role": "critic", "content": "x"}]}, "role 'critic'"),
        ({"messages": HI, "tools": [{"type": "web_search"}]}, "function tools"),
        ({"messages": HI, "temperature": "hot"}, "'temperature' must be a number"),
        ({"messages": [{"role": "user", "content": [{"type": "video"}]}]}, "type 'video'"),
    ],
)
def test_bad_requests_are_400s_that_say_why(body: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidRequest, match=match):
        to_gemini_request({"model": "gemini-2.5-flash", **body})


@pytest.mark.parametrize("model", ["../../v1/files", "models/a/b", "", "a b", None, "x" * 200])
def test_model_ids_cannot_leave_their_path_segment(model: Any) -> None:
    with pytest.raises(InvalidRequest, match="model id"):
        model_path(model)
    assert model_path("tunedModels/my-model-1") == "tunedModels/my-model-1"


def test_answer_with_usage_cached_and_reasoning_tokens() -> None:
    data, usage = to_chat_completion(answer("thinking", {"contents": [{"parts": [{"text": "Hi"}]}]}), "g", 1)
    assert data["choices"][0]["message"]["content"] == "Hello from fake Gemini."  # the thought is left out
    assert data["choices"][0]["finish_reason"] == "stop" and data["model"] == "thinking-001"
    assert usage == Usage(input=10, output=10, cached_input=4)
    assert data["usage"]["completion_tokens_details"]["reasoning_tokens"] == 3
    assert data["id"] == "chatcmpl-resp-gemini-1"


def test_function_calls_become_tool_calls_with_the_signature_in_the_id() -> None:
    body = {"contents": [{"parts": [{"text": "Hi"}]}], "tools": [{"functionDeclarations": [WEATHER["function"]]}]}
    data, _ = to_chat_completion(answer("thinking", body), "g", 1)
    choice = data["choices"][0]
    call = choice["message"]["tool_calls"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    assert orjson.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert call["id"].startswith("call_") and call["id"].endswith("~ts~c2lnbmF0dXJl")


def test_safety_blocks_are_content_filter() -> None:
    data, _ = to_chat_completion(answer("safety", {"contents": [{"parts": [{"text": "Hi"}]}]}), "g", 1)
    assert data["choices"][0]["finish_reason"] == "content_filter"
    data, usage = to_chat_completion(answer("blocked", {"contents": [{"parts": [{"text": "Hi"}]}]}), "g", 1)
    assert data["choices"][0]["finish_reason"] == "content_filter" and usage.input == 10


@pytest.mark.parametrize(
    "hostile",
    [
        [],
        {"candidates": "x"},
        {"candidates": [{"index": 3, "finishReason": "STOP"}]},
        {"candidates": [{"content": {"parts": [{"text": 5}]}}]},
        {"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": []}}]}}]},
        {"candidates": [{"content": {"parts": "x"}}]},
        {"candidates": [{}], "responseId": "x" * 10_000},
        {"candidates": [{}, {}]},
        {},
    ],
)
def test_hostile_answers_are_bad_answers(hostile: Any) -> None:
    with pytest.raises(BadAnswer):
        to_chat_completion(hostile, "g", 1)


def test_hostile_usage_is_bounded_and_flagged() -> None:
    usage, reasoning = usage_of({"promptTokenCount": -5, "candidatesTokenCount": 10**20, "thoughtsTokenCount": "x"})
    assert usage.anomaly == INVALID_COUNT and usage.input == 0 and usage.output == 2**31 - 1 and reasoning == 0
    assert usage_of("nonsense")[0].anomaly == INVALID_COUNT


def test_stream_translation_text_and_usage() -> None:
    translator = StreamTranslator("gemini", 1, 1)
    full = answer("thinking", {"contents": [{"parts": [{"text": "Hi"}]}], "generationConfig": {"stopSequences": ["x"]}})
    chunks = [c for event in stream_events(full) for c in translator.translate(event)]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == "Hello from" and chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert translator.finished and translator.usage == Usage(input=10, output=10, cached_input=4)
    final = translator.usage_chunk()
    assert final["choices"] == [] and final["usage"]["completion_tokens_details"]["reasoning_tokens"] == 3


def test_stream_translation_of_several_candidates_and_tool_calls() -> None:
    body = {
        "contents": [{"parts": [{"text": "Hi"}]}],
        "tools": [{"functionDeclarations": [WEATHER["function"]]}],
        "generationConfig": {"candidateCount": 2},
    }
    translator = StreamTranslator("gemini", 1, 2)
    chunks = [c for event in stream_events(answer("m", body)) for c in translator.translate(event)]
    assert translator.finished
    calls = [c["choices"][0] for c in chunks if "tool_calls" in c["choices"][0]["delta"]]
    assert [c["index"] for c in calls] == [0, 1]
    assert calls[0]["delta"]["tool_calls"][0]["index"] == 0
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"][0]["finish_reason"]]
    assert finishes == ["tool_calls", "tool_calls"]


def test_a_blocked_prompt_ends_the_stream_with_content_filter() -> None:
    translator = StreamTranslator("gemini", 1, 1)
    chunks = translator.translate(answer("blocked", {"contents": [{"parts": [{"text": "Hi"}]}]}))
    assert translator.finished and chunks[-1]["choices"][0]["finish_reason"] == "content_filter"


def _error(status: int, google: str, details: list[Any] | None = None) -> bytes:
    return orjson.dumps({"error": {"code": status, "message": "m", "status": google, "details": details or []}})


def test_errors_map_to_the_error_tree() -> None:
    retry = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12.5s"}
    limited = gemini_failure("g", 429, _error(429, "RESOURCE_EXHAUSTED", [retry]), {})
    assert isinstance(limited, RateLimited) and limited.retry_after == 12.5
    assert gemini_failure("g", 429, _error(429, "RESOURCE_EXHAUSTED"), {"Retry-After": "2"}).retry_after == 2  # type: ignore[attr-defined]
    huge = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1e12s"}
    assert gemini_failure("g", 429, _error(429, "RESOURCE_EXHAUSTED", [huge]), {}).retry_after == 3600  # type: ignore[attr-defined]
    rejected = gemini_failure("g", 404, _error(404, "NOT_FOUND"), {})
    assert isinstance(rejected, UpstreamRejected) and rejected.status == 404 and rejected.code == "not_found"
    key = gemini_failure("g", 400, _error(400, "INVALID_ARGUMENT", [{"reason": "API_KEY_INVALID"}]), {})
    assert isinstance(key, UpstreamError) and key.status == 502 and key.code == "upstream_auth_failed"
    down = gemini_failure("g", 503, b"<html>", {})
    assert isinstance(down, UpstreamError) and down.upstream_status == 503


def test_embeddings_translation_floats_and_base64() -> None:
    request, count = to_embed_request({"input": ["a", "b"], "dimensions": 2}, "models/text-embedding-004")
    assert count == 2 and request["requests"][0] == {
        "model": "models/text-embedding-004",
        "content": {"parts": [{"text": "a"}]},
        "outputDimensionality": 2,
    }
    answer_ = {"embeddings": [{"values": [0.5, 1.0]}, {"values": [0.25, 2.0]}]}
    floats = to_embeddings(answer_, "e", 2, None, 3)
    assert floats["data"][1]["embedding"] == [0.25, 2.0] and floats["usage"]["prompt_tokens"] == 3
    assert to_embeddings(answer_, "e", 2, "base64", 3)["data"][0]["embedding"] == "AAAAPwAAgD8="
    with pytest.raises(BadAnswer):
        to_embeddings({"embeddings": [{"values": [float("nan")]}]}, "e", 1, None, 1)
    with pytest.raises(InvalidRequest, match="token ids"):
        to_embed_request({"input": [[1, 2]]}, "models/e")
