"""Gemini answers in the OpenAI chat format: whole answers, stream events, usage and errors.

Everything here reads what an upstream sent, so every value is checked before use: types, the
candidate index (within the `n` asked for), names, ids and thought signatures (bounded lengths),
token counts (`token_count`). A value that cannot be right raises `BadAnswer`, which the adapter
reports as a 502 naming the provider; an upstream never makes a 500.

    promptTokenCount + toolUsePromptTokenCount ..... prompt_tokens
    cachedContentTokenCount ........................ prompt_tokens_details.cached_tokens
    candidatesTokenCount + thoughtsTokenCount ...... completion_tokens
    thoughtsTokenCount ............................. completion_tokens_details.reasoning_tokens
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from rungway.domain.usage import INVALID_COUNT, Usage, token_count
from rungway.errors import RateLimited, RungwayError, UpstreamError, UpstreamRejected
from rungway.providers.gemini_wire import SIGNATURE_MARK
from rungway.providers.http import retry_after_seconds, upstream_failure

__all__ = [
    "BadAnswer",
    "StreamTranslator",
    "finish_reason",
    "gemini_failure",
    "to_chat_completion",
    "usage_of",
]

FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
}
MAX_NAME = 128
MAX_ID = 200
MAX_SIGNATURE = 65_536
MAX_RETRY_DELAY_S = 3600.0
_KEY_REASONS = ("API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED")


class BadAnswer(ValueError):
    """The upstream's answer is not a Gemini answer we can translate (the adapter makes it a 502)."""


def _short_str(value: Any, limit: int, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise BadAnswer(f"{what} is not a string of at most {limit} characters")
    return value


def usage_of(meta: Any) -> tuple[Usage, int]:
    """Usage from `usageMetadata`, and the reasoning (thought) tokens inside its output."""
    if not isinstance(meta, dict):
        return (Usage(), 0) if meta is None else (Usage(anomaly=INVALID_COUNT), 0)
    get = meta.get
    (prompt, a), (tool, b), (cached, c) = (
        token_count(get("promptTokenCount")),
        token_count(get("toolUsePromptTokenCount")),
        token_count(get("cachedContentTokenCount")),
    )
    (answer, d), (thoughts, e) = token_count(get("candidatesTokenCount")), token_count(get("thoughtsTokenCount"))
    usage = Usage.reported(prompt + tool, answer + thoughts, cached)
    return (usage if a and b and c and d and e else usage.flagged(INVALID_COUNT)), min(thoughts, usage.output)


def usage_json(usage: Usage, reasoning: int) -> dict[str, Any]:
    out = usage.to_openai()
    out["completion_tokens_details"]["reasoning_tokens"] = reasoning
    return out


def finish_reason(reason: Any, has_tool_calls: bool) -> str:
    if has_tool_calls and reason in ("STOP", None):
        return "tool_calls"
    return FINISH_REASONS.get(reason, "stop") if isinstance(reason, str) else "stop"


def _candidates(answer: dict[str, Any], choices: int) -> list[tuple[int, dict[str, Any]]]:
    candidates = answer.get("candidates")
    if candidates is None:
        return []
    if type(candidates) is not list or len(candidates) > choices:
        raise BadAnswer(f"'candidates' is not a list of at most {choices}")
    out = []
    for position, candidate in enumerate(candidates):
        if type(candidate) is not dict:
            raise BadAnswer("a candidate is not an object")
        index = candidate.get("index", position)
        if type(index) is not int or not 0 <= index < choices:  # `type is`: a bool is no index
            raise BadAnswer(f"a candidate's index {index!r} is not one of the {choices} asked for")
        out.append((index, candidate))
    return out


def _parts(candidate: dict[str, Any]) -> list[Any]:
    """The candidate's parts; each is checked to be an object by whoever reads it (`_text`)."""
    content = candidate.get("content")
    if content is None:
        return []
    parts = content.get("parts") if type(content) is dict else ()
    if parts is None:
        return []
    if type(parts) is not list:
        raise BadAnswer("'content.parts' is not a list of objects")
    return parts


def _text(part: Any) -> str | None:
    """The answer text of a part; None for thoughts and parts that are not text."""
    if type(part) is not dict:
        raise BadAnswer("a part is not an object")
    text = part.get("text")
    if text is None or part.get("thought") is True:
        return None
    if type(text) is not str:
        raise BadAnswer("a part's 'text' is not a string")
    return text


def _tool_call(part: dict[str, Any]) -> dict[str, Any] | None:
    call = part.get("functionCall")
    if call is None:
        return None
    if not isinstance(call, dict):
        raise BadAnswer("'functionCall' is not an object")
    name = call.get("name")
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME:
        raise BadAnswer(f"a functionCall's name is not a string of 1 to {MAX_NAME} characters")
    args = call.get("args", {})
    if not isinstance(args, dict):
        raise BadAnswer("a functionCall's 'args' is not an object")
    call_id = _short_str(call.get("id"), MAX_ID, "a functionCall's id")
    if not call_id or call_id.startswith("call_") or SIGNATURE_MARK in call_id:
        call_id = f"call_{uuid.uuid4().hex[:24]}"
    signature = _short_str(part.get("thoughtSignature"), MAX_SIGNATURE, "a thoughtSignature")
    if signature:
        call_id = f"{call_id}{SIGNATURE_MARK}{signature}"
    function = {"name": name, "arguments": orjson.dumps(args).decode()}
    return {"id": call_id, "type": "function", "function": function}


def _blocked(answer: dict[str, Any]) -> bool:
    feedback = answer.get("promptFeedback")
    return isinstance(feedback, dict) and feedback.get("blockReason") is not None


def _ident(answer: dict[str, Any], model: str) -> tuple[str, str]:
    response_id = _short_str(answer.get("responseId"), MAX_ID, "'responseId'")
    version = _short_str(answer.get("modelVersion"), MAX_ID, "'modelVersion'")
    return f"chatcmpl-{response_id or uuid.uuid4().hex}", version or model


def to_chat_completion(answer: Any, model: str, created: int, choices: int = 1) -> tuple[dict[str, Any], Usage]:
    """Translate a `GenerateContentResponse` into an OpenAI chat.completion, with its usage."""
    if not isinstance(answer, dict):
        raise BadAnswer("the answer is not a JSON object")
    candidates = _candidates(answer, choices)
    if not candidates and not _blocked(answer):
        raise BadAnswer("the answer has no candidates and no promptFeedback.blockReason")
    if len({index for index, _ in candidates}) != len(candidates):
        raise BadAnswer("two candidates have the same index")
    completion_id, model = _ident(answer, model)
    out: list[dict[str, Any]] = []
    for index, candidate in candidates or [(0, {"finishReason": "SAFETY"})]:
        parts = _parts(candidate)
        texts = [t for t in map(_text, parts) if t is not None]
        calls = [c for c in map(_tool_call, parts) if c is not None]
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(texts) if texts or not calls else None,
            "refusal": None,
        }
        if calls:
            message["tool_calls"] = calls
        reason = finish_reason(candidate.get("finishReason"), bool(calls))
        out.append({"index": index, "message": message, "logprobs": None, "finish_reason": reason})
    out.sort(key=lambda choice: choice["index"])
    usage, reasoning = usage_of(answer.get("usageMetadata"))
    completion = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": out,
        "usage": usage_json(usage, reasoning),
    }
    return completion, usage


@dataclass(slots=True)
class _Choice:
    tool_calls: int = 0
    finished: bool = False


@dataclass(slots=True)
class StreamTranslator:
    """Turns Gemini stream events (each a partial `GenerateContentResponse`) into OpenAI chunks."""

    model: str
    created: int
    choices: int = 1
    id: str = ""
    blocked: bool = False
    _meta: Any = None
    _state: dict[int, _Choice] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        """Every candidate asked for has its finish reason (or the prompt itself was blocked)."""
        return self.blocked or (len(self._state) == self.choices and all(s.finished for s in self._state.values()))

    @property
    def usage(self) -> Usage:
        return usage_of(self._meta)[0]

    def _chunk(self, index: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }

    def translate(self, event: Any) -> list[dict[str, Any]]:
        """The chunks one event becomes. An `error` event is the caller's to raise before this."""
        if type(event) is not dict:
            raise BadAnswer("a stream event is not a JSON object")
        if not self.id:
            self.id, self.model = _ident(event, self.model)
        meta = event.get("usageMetadata")
        if meta is not None:
            self._meta = meta
        candidates = _candidates(event, self.choices)
        if not candidates and not self._state and _blocked(event):
            self.blocked = True
            return [self._chunk(0, {"role": "assistant", "content": ""}, "content_filter")]
        chunks: list[dict[str, Any]] = []
        states = self._state
        for index, candidate in candidates:
            state = states.get(index)
            if state is None:
                state = states[index] = _Choice()
                chunks.append(self._chunk(index, {"role": "assistant", "content": ""}))
            elif state.finished:
                continue
            for part in _parts(candidate):
                text = _text(part)  # a part is one of text, functionCall, ... (a oneof)
                if text:
                    chunks.append(self._chunk(index, {"content": text}))
                elif text is None and "functionCall" in part:
                    call = _tool_call(part)
                    if call is not None:
                        call["index"] = state.tool_calls
                        state.tool_calls += 1
                        chunks.append(self._chunk(index, {"tool_calls": [call]}))
            reason = candidate.get("finishReason")
            if reason is not None:
                state.finished = True
                chunks.append(self._chunk(index, {}, finish_reason(reason, state.tool_calls > 0)))
        return chunks

    def usage_chunk(self) -> dict[str, Any]:
        usage, reasoning = usage_of(self._meta)
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": usage_json(usage, reasoning),
        }


def _error_fields(raw: bytes) -> tuple[str, str | None, list[Any]]:
    """(message, Google status name, details) of a Google error body, read defensively."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw[:500].decode("utf-8", "replace").strip() or "no message", None, []
    if isinstance(data, list) and data:  # streamGenerateContent without alt=sse wraps errors in a list
        data = data[0]
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return str(data)[:500], None, []
    message = error.get("message")
    status = error.get("status")
    details = error.get("details")
    return (
        str(message)[:2000] if message else "no message",
        status if isinstance(status, str) and len(status) <= 64 else None,
        details[:20] if isinstance(details, list) else [],
    )


def _retry_delay(details: list[Any]) -> float | None:
    """Seconds from a `google.rpc.RetryInfo` detail (`"retryDelay": "37s"`), bounded."""
    for detail in details:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            delay = detail.get("retryDelay")
            if isinstance(delay, str) and delay.endswith("s"):
                try:
                    return min(max(float(delay[:-1]), 0.0), MAX_RETRY_DELAY_S)
                except ValueError:
                    return None
    return None


def _key_problem(details: list[Any]) -> bool:
    return any(
        isinstance(d, dict) and d.get("reason") in ("API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED") for d in details
    )


def gemini_failure(provider: str, status: int, raw: bytes, headers: Mapping[str, str]) -> RungwayError:
    """Map a Gemini error answer to our error tree (the rules of `providers/http.py`, Google's body).

    A rejected API key is a 400 from Google; it is the operator's problem, so a 502 here as a 401 is."""
    if status < 400:
        return upstream_failure(provider, status, raw, headers)
    message, google_status, details = _error_fields(raw)
    text = f"{provider}: upstream answered {status}: {message}"
    if status == 429:
        hinted = _retry_delay(details)
        wait = retry_after_seconds(headers, hinted if hinted is not None else 1.0)
        return RateLimited(text, retry_after=min(wait, MAX_RETRY_DELAY_S), code="upstream_rate_limited")
    if status in (401, 403) or _key_problem(details):
        return UpstreamError(text, code="upstream_auth_failed", upstream_status=status)
    if status >= 500 or status < 400:
        return UpstreamError(text, code="upstream_error", upstream_status=status)
    code = google_status.lower() if google_status else None
    return UpstreamRejected(message, status=status, error_type="invalid_request_error", code=code)


def stream_error_status(event: dict[str, Any]) -> int:
    """The HTTP status of an `error` object sent inside a 200 stream (its numeric code), else 502."""
    error = event.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) and 400 <= code <= 599 else 502
