"""A chat answer written as a legacy `text_completion`: the JSON object, and the streamed chunks.

The id is the gateway's request id (`cmpl-` + the id after `req_`), so an answer points at its row in
the request log. `logprobs` is always null (the request refuses asking for them).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import orjson

from rungway.domain.usage import Usage
from rungway.errors import RungwayError
from rungway.gateway.responses import SSE_DONE, sse_event

__all__ = ["CompletionStream", "completion_id", "text_completion"]


def completion_id(request_id: str) -> str:
    return "cmpl-" + request_id.removeprefix("req_")


def _usage(usage: Any) -> dict[str, Any] | None:
    if not isinstance(usage, dict):
        return None
    prompt = usage.get("prompt_tokens") or 0
    completion = usage.get("completion_tokens") or 0
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def text_completion(completion: dict[str, Any], request_id: str, echo: str | None, model: str | None) -> bytes:
    """The `text_completion` object for a JSON chat completion; `echo`: the prompt written before each text."""
    choices = []
    for position, choice in enumerate(completion.get("choices") or ()):
        message = choice.get("message") or {}
        text = message.get("content") or ""
        choices.append(
            {
                "text": echo + text if echo is not None else text,
                "index": choice.get("index", position),
                "logprobs": None,
                "finish_reason": choice.get("finish_reason"),
            }
        )
    answer: dict[str, Any] = {
        "id": completion_id(request_id),
        "object": "text_completion",
        "created": completion.get("created") or int(time.time()),
        "model": completion.get("model") or model,
        "choices": choices,
        "usage": _usage(completion.get("usage")),
    }
    if completion.get("system_fingerprint"):
        answer["system_fingerprint"] = completion["system_fingerprint"]
    return orjson.dumps(answer)


class CompletionStream:
    """One streamed answer: each chat chunk's text as `text_completion` chunks, then usage (when asked) and
    `data: [DONE]`. With `echo`, the prompt is sent first for each choice index as it appears.

    Every chunk shares its head (id, object, created, model), serialised once: a chunk is that prefix and
    its choice, so a streamed call costs a few microseconds per chunk (bench/gateway/completions_translation.py).
    """

    __slots__ = ("_echo", "_echoed", "_head", "_prefix", "_wants_usage")

    def __init__(self, request_id: str, model: str | None, echo: str | None, wants_usage: bool) -> None:
        self._head: dict[str, Any] = {
            "id": completion_id(request_id),
            "object": "text_completion",
            "created": int(time.time()),
            "model": model,
        }
        self._prefix = self._serialise_head()
        self._echo = echo
        self._echoed: set[int] = set()
        self._wants_usage = wants_usage

    def _serialise_head(self) -> bytes:
        return b"data: " + orjson.dumps(self._head)[:-1] + b',"choices":[{"text":'

    def _event(self, index: int, text: str, finish: Any) -> bytes:
        tail = b"null" if finish is None else orjson.dumps(finish)
        return b'%b%b,"index":%d,"logprobs":null,"finish_reason":%b}]}\n\n' % (
            self._prefix,
            orjson.dumps(text),
            index,
            tail,
        )

    def chunk(self, data: dict[str, Any]) -> Sequence[bytes]:
        choices = data.get("choices")
        if not choices:
            return ()
        model = data.get("model")
        if model and model != self._head["model"]:
            self._head["model"] = model
            self._prefix = self._serialise_head()
        events = []
        for choice in choices:
            index = choice.get("index", 0)
            if self._echo is not None and index not in self._echoed:
                self._echoed.add(index)
                events.append(self._event(index, self._echo, None))
            delta = choice.get("delta")
            text = delta.get("content") if delta else None
            finish = choice.get("finish_reason")
            if text or finish:
                events.append(self._event(index, text or "", finish))
        return events

    def end(self, usage: Usage | None) -> Sequence[bytes]:
        if not self._wants_usage or usage is None:
            return (SSE_DONE,)
        counts = {"prompt_tokens": usage.input, "completion_tokens": usage.output, "total_tokens": usage.total}
        return (sse_event(orjson.dumps({**self._head, "choices": [], "usage": counts})), SSE_DONE)

    def error(self, error: RungwayError) -> bytes:
        return sse_event(orjson.dumps(error.body()))
