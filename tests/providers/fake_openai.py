"""A loopback upstream that speaks the OpenAI wire format (chat completions, SSE, embeddings, moderations, errors).

The model name picks the behaviour, so one server covers every case:
`error-429` / `error-400` / `error-401` / `error-500` answer with that status and OpenAI's error body,
`slow` waits 3 s, `held` waits until `release()` (`held` counts those received), `not-json` answers
200 with text, `broken-stream` cuts the connection mid-stream,
`stream-error` sends an error object inside a 200 stream, `crlf` and `nospace` vary the SSE framing.
Streams are written in small pieces so events are split across TCP writes. `/v1/responses` answers as OpenAI's
Responses API (`fake_responses.py`). Azure's URL shape
(/openai/deployments/{name}/...) is served too. Every request is kept in `seen` for assertions.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from tests.providers import fake_responses
from tests.servers import AppServer

CREATED = 1_700_000_000


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]


def _error(
    status: int, message: str, kind: str, code: str | None, headers: dict[str, str] | None = None
) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json", headers=headers)


ERRORS = {
    "error-429": lambda: _error(
        429,
        "Rate limit reached for gpt-4o-mini on requests per min (RPM)",
        "requests",
        "rate_limit_exceeded",
        {"Retry-After": "7"},
    ),
    "error-400": lambda: _error(
        400, "Invalid value for 'temperature': must be at most 2.", "invalid_request_error", "invalid_value"
    ),
    "error-401": lambda: _error(
        401, "Incorrect API key provided: sk-wrong.", "invalid_request_error", "invalid_api_key"
    ),
    "error-500": lambda: _error(500, "The server had an error while processing your request.", "server_error", None),
}


def completion(body: dict[str, Any]) -> dict[str, Any]:
    tools = body.get("tools") or []
    message: dict[str, Any] = {"role": "assistant", "content": "Hello from the fake upstream.", "refusal": None}
    finish = "stop"
    if tools and body.get("tool_choice") != "none":
        name = tools[0]["function"]["name"]
        message["content"] = None
        message["tool_calls"] = [
            {"id": "call_abc123", "type": "function", "function": {"name": name, "arguments": '{"city":"Paris"}'}}
        ]
        finish = "tool_calls"
    return {
        "id": "chatcmpl-fake1",
        "object": "chat.completion",
        "created": CREATED,
        "model": body["model"],
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 6,
            "total_tokens": 18,
            "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


def stream_chunks(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The chunks OpenAI sends for `completion(body)`: role, pieces, finish, then usage if asked."""
    full = completion(body)
    usage_asked = bool((body.get("stream_options") or {}).get("include_usage"))
    base = {k: full[k] for k in ("id", "object", "created", "model", "system_fingerprint")}
    base["object"] = "chat.completion.chunk"
    extra = {"usage": None} if usage_asked else {}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}], **extra}

    message = full["choices"][0]["message"]
    chunks = [chunk({"role": "assistant", "content": "" if message["content"] else None, "refusal": None})]
    if message.get("tool_calls"):
        call = message["tool_calls"][0]
        head = {"index": 0, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"]}}
        chunks.append(chunk({"tool_calls": [{**head, "function": {**head["function"], "arguments": ""}}]}))
        for piece in ('{"ci', 'ty":"Pa', 'ris"}'):
            chunks.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
    else:
        for piece in ("Hello", " from", " the", " fake", " upstream", "."):
            chunks.append(chunk({"content": piece}))
    chunks.append(chunk({}, full["choices"][0]["finish_reason"]))
    if usage_asked:
        chunks.append({**base, "choices": [], "usage": full["usage"]})
    return chunks


class FakeOpenAI:
    """The fake upstream; `base_url` ends with /v1 like OpenAI's."""

    def __init__(self, api_key: str | None = "sk-upstream") -> None:
        self.api_key = api_key
        self.seen: list[Seen] = []
        self.held = 0  # `held` requests received so far (each waits for `release()`)
        self._release = asyncio.Event()  # set in the server's loop
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_post("/v1/embeddings", self.embeddings)
        app.router.add_post("/v1/moderations", self.moderations)
        app.router.add_post("/v1/responses", self.responses)
        app.router.add_post("/openai/deployments/{deployment}/chat/completions", self.chat)
        app.router.add_post("/openai/deployments/{deployment}/embeddings", self.embeddings)
        self.server = AppServer(app)
        self.base_url = self.server.base_url + "/v1"
        self.root_url = self.server.base_url

    def stop(self) -> None:
        self.release()
        self.server.stop()

    def wait_held(self, count: int, timeout_s: float = 30) -> None:
        """Return once `count` `held` requests have arrived (and wait upstream); fail after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while self.held < count:
            assert time.monotonic() < deadline, f"{self.held} of {count} requests reached the upstream"
            time.sleep(0.005)

    def release(self) -> None:
        """Answer every `held` request, and answer later ones at once."""
        self.server.loops.loop.call_soon_threadsafe(self._release.set)

    async def _record(self, request: web.Request) -> dict[str, Any]:
        body = orjson.loads(await request.read())
        self.seen.append(Seen(request.path, dict(request.query), dict(request.headers), body))
        return dict(body)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        model = body.get("model", "")
        if model in ERRORS:
            return ERRORS[model]()
        if model == "slow":
            await asyncio.sleep(3)
        if model == "held":
            self.held += 1
            await self._release.wait()
        if model == "not-json":
            return web.Response(text="<html>bad gateway</html>", content_type="text/html")
        if body.get("stream"):
            return await self._stream(request, body)
        return web.Response(body=orjson.dumps(completion(body)), content_type="application/json")

    async def _stream(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        model = body["model"]
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        newline = b"\r\n" if model == "crlf" else b"\n"
        prefix = b"data:" if model == "nospace" else b"data: "
        # `no-usage`: an upstream that ignores `stream_options.include_usage` (no usage chunk at all)
        events: list[Any] = stream_chunks({**body, "stream_options": {}} if model == "no-usage" else body)
        if model == "stream-error":
            error = {"error": {"message": "The model overloaded mid-stream", "type": "server_error", "code": 503}}
            events = [events[0], error]
        wire = b": keep-alive" + newline + newline
        for event in events:
            # `spaced`: JSON written with spaces around every `:` and `,` (a scan for `"usage":` must not miss it)
            encoded = (
                json.dumps(event, separators=(" , ", " : ")).encode() if model == "spaced" else orjson.dumps(event)
            )
            wire += prefix + encoded + newline + newline
        if model != "stream-error":
            wire += prefix + b"[DONE]" + newline + newline
        if model == "broken-stream":
            wire = wire[: len(wire) // 2]
        for start in range(0, len(wire), 7):  # awkward pieces: events and CRLFs split across writes
            await response.write(wire[start : start + 7])
        if model == "broken-stream":
            assert request.transport is not None
            request.transport.close()
            return response
        await response.write_eof()
        return response

    async def responses(self, request: web.Request) -> web.StreamResponse:
        """OpenAI's Responses API (`tests/providers/fake_responses.py`)."""
        body = await self._record(request)
        model = body.get("model", "")
        if model in ERRORS:
            return ERRORS[model]()
        answer = fake_responses.response(body)
        if not body.get("stream"):
            return web.Response(body=orjson.dumps(answer), content_type="application/json")
        events = fake_responses.stream_events(answer)
        if model == "stream-fail":
            failed = {**answer, "status": "failed", "error": {"code": "server_error", "message": "The model failed."}}
            events = [*events[:4], {"type": "response.failed", "response": failed}]
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        wire = b"".join(
            b"event: " + event["type"].encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n" for event in events
        )
        for start in range(0, len(wire), 13):
            await response.write(wire[start : start + 13])
        await response.write_eof()
        return response

    async def embeddings(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if body.get("model") in ERRORS:
            return ERRORS[body["model"]]()
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [{"object": "embedding", "index": i, "embedding": [0.1, 0.2, 0.3]} for i, _ in enumerate(inputs)]
        answer = {
            "object": "list",
            "data": data,
            "model": body["model"],
            "usage": {"prompt_tokens": 5, "total_tokens": 5},
        }
        return web.Response(body=orjson.dumps(answer), content_type="application/json")

    async def moderations(self, request: web.Request) -> web.Response:
        """OpenAI's moderation shape; an input holding "attack" is flagged for violence."""
        body = await self._record(request)
        if body.get("model") in ERRORS:
            return ERRORS[body["model"]]()
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        results = []
        for item in inputs:
            violent = "attack" in str(item)
            results.append(
                {
                    "flagged": violent,
                    "categories": {"violence": violent, "hate": False},
                    "category_scores": {"violence": 0.9 if violent else 0.001, "hate": 0.0001},
                    "category_applied_input_types": {"violence": ["text"], "hate": ["text"]},
                }
            )
        answer = {"id": "modr-fake1", "model": body.get("model") or "omni-moderation-latest", "results": results}
        return web.Response(body=orjson.dumps(answer), content_type="application/json")
