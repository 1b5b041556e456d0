"""Gemini -> OpenAI answers, streams, usage and errors, one mapping at a time (no network)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from rungway.domain.usage import INVALID_COUNT, Usage
from rungway.errors import RateLimited, UpstreamError, UpstreamRejected
from rungway.providers.gemini_answer import (
    BadAnswer,
    StreamTranslator,
    gemini_failure,
    to_chat_completion,
    usage_of,
)
from tests.providers.fake_gemini import WEATHER, answer, stream_events


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
