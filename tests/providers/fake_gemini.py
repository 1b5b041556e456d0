"""A loopback upstream that speaks Google's Gemini API (generateContent, SSE streams, embeddings, errors).

It answers with text, or with a `functionCall` part when function declarations are offered and the
last turn is not a function response (args built from the declared schema), JSON when a response
schema is set, honours `stopSequences`, a small `maxOutputTokens` and `candidateCount`, and reports
`usageMetadata` with cached (and, for `thinking`, thought) tokens. The model name picks failures:
`error-429` (RetryInfo 7s in the body, no header), `error-400`, `error-404`, `error-500`, `error-503`,
`slow` (3 s), `blocked` (promptFeedback.blockReason), `safety` (finishReason SAFETY), `stream-error`
(an error object mid-stream), `truncated` (no finishReason), and hostile answers `bad-index`,
`bad-usage`, `bad-name`, `bad-args`, `not-json`, `no-candidates`. Streams are written in 11-byte
pieces with Google's `\\r\\n\\r\\n` separators. A wrong key gets Google's 400 API_KEY_INVALID.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from aiohttp import web

from tests.providers.fake_anthropic import value_for
from tests.providers.fake_openai import Seen
from tests.servers import AppServer

SIGNATURE = "c2lnbmF0dXJl"
WEATHER = {  # an OpenAI function tool, for the translation tests
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


def _error(status: int, google_status: str, message: str, details: list[Any] | None = None) -> web.Response:
    body = {"error": {"code": status, "message": message, "status": google_status, "details": details or []}}
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


RETRY = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}
ERRORS = {
    "error-429": lambda: _error(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota.", [RETRY]),
    "error-400": lambda: _error(400, "INVALID_ARGUMENT", "Request contains an invalid argument."),
    "error-404": lambda: _error(404, "NOT_FOUND", "models/error-404 is not found for API version v1beta"),
    "error-500": lambda: _error(500, "INTERNAL", "An internal error has occurred."),
    "error-503": lambda: _error(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
}
HOSTILE: dict[str, Any] = {
    "bad-index": {"candidates": [{"index": 5, "content": {"parts": [{"text": "x"}]}, "finishReason": "STOP"}]},
    "bad-usage": {
        "candidates": [{"content": {"parts": [{"text": "Hi"}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": -5, "candidatesTokenCount": 10**18},
    },
    "bad-name": {"candidates": [{"content": {"parts": [{"functionCall": {"name": "x" * 10_000}}]}}]},
    "bad-args": {"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": "rm -rf"}}]}}]},
    "no-candidates": {"usageMetadata": {"promptTokenCount": 3}},
}


def _schema(declaration: dict[str, Any]) -> dict[str, Any]:
    schema = declaration.get("parametersJsonSchema") or declaration.get("parameters") or {}
    return {**schema, "type": str(schema.get("type", "object")).lower()}


def answer(model: str, body: dict[str, Any]) -> dict[str, Any]:
    """The GenerateContentResponse Gemini would give for this request."""
    config = body.get("generationConfig") or {}
    declarations = [d for tool in body.get("tools") or [] for d in tool.get("functionDeclarations") or []]
    mode = ((body.get("toolConfig") or {}).get("functionCallingConfig") or {}).get("mode", "AUTO")
    last = body["contents"][-1]["parts"][-1]
    parts: list[dict[str, Any]] = []
    reason = "STOP"
    if declarations and mode != "NONE" and "functionResponse" not in last:
        call = {"name": declarations[0]["name"], "args": value_for(_schema(declarations[0]))}
        part: dict[str, Any] = {"functionCall": call}
        if model == "thinking":
            part["thoughtSignature"] = SIGNATURE
        parts.append(part)
    elif "functionResponse" in last:
        parts.append({"text": f"It is {last['functionResponse']['response'].get('sky', 'sunny')} there."})
    elif config.get("responseMimeType") == "application/json":
        schema = config.get("responseJsonSchema") or config.get("responseSchema") or {"type": "object"}
        parts.append({"text": orjson.dumps(value_for(schema)).decode()})
    elif config.get("stopSequences"):
        parts.append({"text": "Hello from"})
    elif config.get("maxOutputTokens", 100) < 5:
        parts.append({"text": "Hello"})
        reason = "MAX_TOKENS"
    else:
        parts.append({"text": "Hello from fake Gemini."})
    if model == "thinking":
        parts.insert(0, {"text": "Let me think about the weather.", "thought": True})
    if model == "safety":
        parts, reason = [], "SAFETY"
    usage = {"promptTokenCount": 10, "cachedContentTokenCount": 4, "candidatesTokenCount": 7, "totalTokenCount": 17}
    if model == "thinking":
        usage = {**usage, "thoughtsTokenCount": 3, "totalTokenCount": 20}
    candidates = [
        {"content": {"role": "model", "parts": parts}, "finishReason": reason, "index": i}
        for i in range(config.get("candidateCount", 1))
    ]
    out: dict[str, Any] = {
        "candidates": candidates,
        "usageMetadata": usage,
        "modelVersion": f"{model}-001",
        "responseId": "resp-gemini-1",
    }
    if model == "blocked":
        out = {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 10}}
    return out


def stream_events(full: dict[str, Any]) -> list[dict[str, Any]]:
    """The events Gemini streams for `full`: text word by word, calls whole, the finish with usage."""
    events: list[dict[str, Any]] = []
    head = {"modelVersion": full.get("modelVersion"), "responseId": full.get("responseId")}
    if "candidates" not in full:
        return [full]
    for candidate in full["candidates"]:
        for part in candidate["content"]["parts"]:
            pieces = [part]
            if "text" in part and not part.get("thought"):
                words = part["text"].split(" ")
                pieces = [{"text": w if i == 0 else " " + w} for i, w in enumerate(words)]
            for piece in pieces:
                content = {"role": "model", "parts": [piece]}
                events.append({**head, "candidates": [{"content": content, "index": candidate["index"]}]})
        last = {"content": {"role": "model", "parts": []}, "finishReason": candidate["finishReason"]}
        events.append({**head, "candidates": [{**last, "index": candidate["index"]}]})
    events[-1]["usageMetadata"] = full["usageMetadata"]
    return events


class FakeGemini:
    """The fake Gemini API; `base_url` ends with /v1beta like the real one."""

    def __init__(self, api_key: str = "gemini-upstream-key") -> None:
        self.api_key = api_key
        self.seen: list[Seen] = []
        app = web.Application()
        app.router.add_post("/v1beta/{path:.+}", self.handle)
        self.server = AppServer(app)
        self.base_url = self.server.base_url + "/v1beta"

    def stop(self) -> None:
        self.server.stop()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = orjson.loads(await request.read())
        self.seen.append(Seen(request.path, dict(request.query), dict(request.headers), body))
        if request.headers.get("x-goog-api-key") != self.api_key:
            detail = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}
            return _error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [detail])
        path, _, method = request.match_info["path"].rpartition(":")
        model = path.rsplit("/", 1)[-1]
        if model in ERRORS:
            return ERRORS[model]()
        if model == "slow":
            await asyncio.sleep(3)
        if method == "batchEmbedContents":
            dims = [r.get("outputDimensionality", 3) for r in body["requests"]]
            return web.json_response({"embeddings": [{"values": [0.5] * d} for d in dims]})
        if model == "not-json":
            return web.Response(body=b"<html>502 Bad Gateway</html>", content_type="text/html")
        full = HOSTILE.get(model) or answer(model, body)
        if method == "generateContent":
            return web.Response(body=orjson.dumps(full), content_type="application/json")
        events = stream_events(full)
        if model == "stream-error":
            events = [*events[:2], {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}]
        if model == "truncated":
            events = events[:-1]
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        wire = b"".join(b"data: " + orjson.dumps(event) + b"\r\n\r\n" for event in events)
        for start in range(0, len(wire), 11):
            await response.write(wire[start : start + 11])
        await response.write_eof()
        return response
