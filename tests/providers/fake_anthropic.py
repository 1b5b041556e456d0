"""A loopback upstream that speaks Anthropic's Messages API (JSON and SSE events, errors).

It answers with text, or with a `tool_use` block when custom tools are offered (input built from the tool's
schema), honours `stop_sequences` and a small `max_tokens`, and reports usage with prompt-cache
fields. The model name picks failures: `error-529` (overloaded), `error-429` (with retry-after),
`error-400`, `error-500`, `slow` (3 s), `stream-error` (an `error` event mid-stream), `truncated`
(the stream ends without message_stop). Streams are written in small pieces, `event:` lines
included, with a `ping` in between, as Anthropic does. Requests are kept in `seen`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from aiohttp import web

from tests.providers.fake_openai import Seen
from tests.servers import AppServer

USAGE = {"input_tokens": 10, "cache_creation_input_tokens": 3, "cache_read_input_tokens": 5, "output_tokens": 7}


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake"}
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json", headers=headers)


ERRORS = {
    "error-529": lambda: _error(529, "overloaded_error", "Overloaded"),
    "error-429": lambda: _error(
        429, "rate_limit_error", "Number of request tokens has exceeded your rate limit.", {"retry-after": "3"}
    ),
    "error-400": lambda: _error(400, "invalid_request_error", "messages: text content blocks must be non-empty"),
    "error-500": lambda: _error(500, "api_error", "Internal server error"),
}


def value_for(schema: dict[str, Any]) -> Any:
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if kind == "object":
        return {name: value_for(sub) for name, sub in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [value_for(schema.get("items") or {"type": "string"})]
    return {"string": "Paris", "integer": 3, "number": 1.5, "boolean": True}.get(kind)


def message(body: dict[str, Any]) -> dict[str, Any]:
    """The Message Anthropic would answer for this request."""
    tools = [tool for tool in body.get("tools") or [] if "input_schema" in tool]  # server tools: not used here
    choice = body.get("tool_choice") or {"type": "auto"}
    content: list[dict[str, Any]] = []
    stop_reason = "end_turn"
    if tools and choice["type"] != "none":
        tool = next((t for t in tools if t["name"] == choice.get("name")), tools[0])
        if choice["type"] != "tool":
            content.append({"type": "text", "text": "Let me check."})
        content.append(
            {"type": "tool_use", "id": "toolu_01A", "name": tool["name"], "input": value_for(tool["input_schema"])}
        )
        stop_reason = "tool_use"
    elif body.get("stop_sequences"):
        content.append({"type": "text", "text": "Hello from"})
        stop_reason = "stop_sequence"
    elif body["max_tokens"] < 5:
        content.append({"type": "text", "text": "Hello"})
        stop_reason = "max_tokens"
    else:
        content.append({"type": "text", "text": "Hello from fake Claude."})
    return {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": USAGE,
    }


def stream_events(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The events Anthropic streams for `answer`."""
    start = {**answer, "content": [], "stop_reason": None, "usage": {**USAGE, "output_tokens": 1}}
    events: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
    for index, block in enumerate(answer["content"]):
        if block["type"] == "text":
            events.append(
                {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}
            )
            events.append({"type": "ping"})
            for word in block["text"].split(" "):
                piece = word if word == block["text"].split(" ")[0] else " " + word
                delta = {"type": "text_delta", "text": piece}
                events.append({"type": "content_block_delta", "index": index, "delta": delta})
        else:
            head = {**block, "input": {}}
            events.append({"type": "content_block_start", "index": index, "content_block": head})
            text = orjson.dumps(block["input"]).decode()
            for piece in ("", text[:5], text[5:11], text[11:]):
                delta = {"type": "input_json_delta", "partial_json": piece}
                events.append({"type": "content_block_delta", "index": index, "delta": delta})
        events.append({"type": "content_block_stop", "index": index})
    delta = {"stop_reason": answer["stop_reason"], "stop_sequence": None}
    events.append({"type": "message_delta", "delta": delta, "usage": {"output_tokens": USAGE["output_tokens"]}})
    events.append({"type": "message_stop"})
    return events


class FakeAnthropic:
    """The fake Messages API; `base_url` is the host root, like https://api.anthropic.com."""

    def __init__(self, api_key: str = "sk-ant-upstream") -> None:
        self.api_key = api_key
        self.seen: list[Seen] = []
        app = web.Application()
        app.router.add_post("/v1/messages", self.messages)
        self.server = AppServer(app)
        self.base_url = self.server.base_url

    def stop(self) -> None:
        self.server.stop()

    async def messages(self, request: web.Request) -> web.StreamResponse:
        body = orjson.loads(await request.read())
        self.seen.append(Seen(request.path, dict(request.query), dict(request.headers), body))
        if request.headers.get("x-api-key") != self.api_key:
            return _error(401, "authentication_error", "invalid x-api-key")
        if not request.headers.get("anthropic-version"):
            return _error(400, "invalid_request_error", "anthropic-version: header is required")
        model = body.get("model", "")
        if model in ERRORS:
            return ERRORS[model]()
        if model == "slow":
            await asyncio.sleep(3)
        answer = message(body)
        if not body.get("stream"):
            return web.Response(body=orjson.dumps(answer), content_type="application/json")
        events = stream_events(answer)
        if model == "stream-error":
            events = [*events[:3], {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}]
        if model == "truncated":
            events = events[:-2]
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        wire = b"".join(
            b"event: " + event["type"].encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n" for event in events
        )
        for start in range(0, len(wire), 11):
            await response.write(wire[start : start + 11])
        await response.write_eof()
        return response
