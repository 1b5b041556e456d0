"""A stored chat completion answered again: as it was (JSON) or as the stream a live call would have sent.

A cache layer that found the answer to a call sets `CallContext.replay`; the call step then takes the answer
from here instead of the upstream, so a replayed answer goes through the same output guard, dialect
translation and accounting as a live one, and a call that asks for a stream gets one: the role, the content
(or each tool call's name, then its arguments) in pieces, the finish reason, and the usage chunk last.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson

from rungway.domain.ids import new_id
from rungway.gateway.context import CallContext
from rungway.providers.base import ChatResult, StreamChunk

__all__ = ["PIECE_CHARS", "replay_json", "replay_stream", "use_replay"]

PIECE_CHARS = 64
"""Characters per content delta of a replayed stream: a client renders it as it would a live one."""


def _pieces(text: str) -> list[str]:
    return [text[i : i + PIECE_CHARS] for i in range(0, len(text), PIECE_CHARS)] or [""]


def _deltas(message: dict[str, Any]) -> list[dict[str, Any]]:
    deltas: list[dict[str, Any]] = []
    content = message.get("content")
    if isinstance(content, str) and content:
        deltas.extend({"content": piece} for piece in _pieces(content))
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        deltas.append({"refusal": refusal})
    for index, call in enumerate(message.get("tool_calls") or ()):
        if not isinstance(call, dict):
            continue
        raw_function = call.get("function")
        function: dict[str, Any] = raw_function if isinstance(raw_function, dict) else {}
        head = {"index": index, "id": call.get("id"), "type": call.get("type", "function"),
                "function": {"name": function.get("name"), "arguments": ""}}  # fmt: skip
        deltas.append({"tool_calls": [head]})
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            deltas.extend(
                {"tool_calls": [{"index": index, "function": {"arguments": piece}}]} for piece in _pieces(arguments)
            )
    return deltas


def _chunk(base: dict[str, Any], index: int, delta: dict[str, Any], finish: str | None = None) -> StreamChunk:
    return StreamChunk(
        {**base, "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}]}
    )


async def _chunks(result: ChatResult, base: dict[str, Any]) -> AsyncIterator[StreamChunk]:
    for choice in result.data.get("choices") or ():
        if not isinstance(choice, dict):
            continue
        index = choice.get("index", 0)
        raw_message = choice.get("message")
        message: dict[str, Any] = raw_message if isinstance(raw_message, dict) else {}
        for delta in _deltas(message):
            yield _chunk(base, index, delta)
        yield _chunk(base, index, {}, choice.get("finish_reason") or "stop")
    usage = result.data.get("usage")
    yield StreamChunk({**base, "choices": [], "usage": usage}, None, result.usage)


def replay_stream(result: ChatResult) -> tuple[AsyncIterator[StreamChunk], StreamChunk]:
    """The stream of a stored completion: (the chunks after the first, the first), as `open_stream` gives them.
    The replay gets an id of its own, like any completion."""
    data = result.data
    base = {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion.chunk",
        "created": data.get("created"),
        "model": data.get("model"),
        "system_fingerprint": data.get("system_fingerprint"),
    }
    first = StreamChunk({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                              "logprobs": None, "finish_reason": None}]})  # fmt: skip
    return _chunks(result, base), first


def use_replay(ctx: CallContext) -> ChatResult:
    """The replayed answer, with the call served by the plan's first deployment (the one it would have tried;
    nothing was sent: the call has no attempts) and no time spent upstream."""
    result = ctx.replay
    assert result is not None
    if ctx.plan is not None and ctx.plan.deployments:
        ctx.route = ctx.plan.deployments[0]
    ctx.upstream_ms = 0.0
    return result


def replay_json(result: ChatResult) -> ChatResult:
    """The stored completion as a new one: its own id, the same choices, usage and model."""
    data = {**result.data, "id": new_id("chatcmpl-")}
    return ChatResult(orjson.dumps(data), data, result.usage)
