"""A fast OpenAI-compatible upstream for the gateway benchmarks: the thing every gateway under test calls.

It answers from memory, deterministically, so that the benchmark measures the gateway and not the model:

- `POST /v1/chat/completions`, plain JSON or SSE (`"stream": true`): a reply of `--words` words chosen by a
  hash of the messages, with realistic usage (the SSE answer carries it in its last event, as OpenAI does
  with `stream_options.include_usage`), then `data: [DONE]`;
- `POST /v1/embeddings`: one 32-dimension vector per input, with usage;
- `GET /v1/models`: the models list (also the readiness probe of the bench scripts).

Latency: `--latency-ms` before every answer, `--token-ms` between stream events; a request may ask for its
own delay with the `x-mock-latency-ms` header, or for an error answer with `x-mock-status`.

    .venv/bin/python bench/harness/mock_upstream.py --port 9321 [--latency-ms 50] [--token-ms 0] [--words 24]

Runs on the project's own virtualenv (aiohttp, orjson and uvloop are dependencies of Rungway).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import time
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

WORDS = (
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "model",
    "gateways",
    "trace",
    "every",
    "prompt",
    "and",
    "count",
    "each",
    "token",
    "for",
    "cost",
)


@dataclass(frozen=True)
class MockSettings:
    """How the mock answers: fixed delay, delay between stream events, reply length."""

    latency_ms: int = 0
    token_ms: int = 0
    words: int = 24


SETTINGS = web.AppKey("settings", MockSettings)


def reply_text(messages: object, words: int) -> str:
    """The same messages always get the same reply (so runs are comparable), different ones differ."""
    seed = hashlib.blake2b(orjson.dumps(messages), digest_size=8).digest()
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words))


def prompt_tokens(messages: list[Any]) -> int:
    """About four characters per token plus four per message, as OpenAI's own estimate goes."""
    total = 0
    for message in messages:
        content = message.get("content", "") if isinstance(message, dict) else ""
        total += max(1, len(str(content)) // 4) + 4
    return total


def json_answer(payload: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(payload), status=status, content_type="application/json")


async def delay_or_fault(request: web.Request, settings: MockSettings) -> web.Response | None:
    """Sleep the configured (or requested) latency; answer an injected error if the request asks for one."""
    delay_ms = int(request.headers.get("x-mock-latency-ms", settings.latency_ms))
    if delay_ms > 0:
        await asyncio.sleep(delay_ms / 1000)
    status = request.headers.get("x-mock-status")
    if status:
        error = {"message": "injected by x-mock-status", "type": "mock_error", "param": None, "code": None}
        return json_answer({"error": error}, status=int(status))
    return None


async def read_json(request: web.Request) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one (the handler answers 400)."""
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        return None
    return body if isinstance(body, dict) else None


def not_a_json_object() -> web.Response:
    error = {"message": "the body must be a JSON object", "type": "invalid_request_error", "param": None, "code": None}
    return json_answer({"error": error}, status=400)


async def chat_completions(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    body = await read_json(request)
    if body is None:
        return not_a_json_object()
    fault = await delay_or_fault(request, settings)
    if fault is not None:
        return fault
    messages = body.get("messages") or []
    text = reply_text(messages, settings.words)
    usage = {"prompt_tokens": prompt_tokens(messages), "completion_tokens": settings.words}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    head = {"id": "chatcmpl-mock", "created": int(time.time()), "model": body.get("model", "mock-model")}
    if not body.get("stream"):
        choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        return json_answer({**head, "object": "chat.completion", "choices": [choice], "usage": usage})
    answer = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await answer.prepare(request)
    for index, word in enumerate(text.split()):
        delta = {"content": (" " if index else "") + word}
        if index == 0:
            delta["role"] = "assistant"
        chunk = {**head, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]}
        await answer.write(b"data: " + orjson.dumps(chunk) + b"\n\n")
        if settings.token_ms:
            await asyncio.sleep(settings.token_ms / 1000)
    last_choice = {"index": 0, "delta": {}, "finish_reason": "stop"}
    last = {**head, "object": "chat.completion.chunk", "choices": [last_choice], "usage": usage}
    await answer.write(b"data: " + orjson.dumps(last) + b"\n\ndata: [DONE]\n\n")
    await answer.write_eof()
    return answer


async def embeddings(request: web.Request) -> web.Response:
    body = await read_json(request)
    if body is None:
        return not_a_json_object()
    fault = await delay_or_fault(request, request.app[SETTINGS])
    if fault is not None:
        return fault
    inputs = body.get("input") or []
    inputs = [inputs] if isinstance(inputs, str) else list(inputs)
    data = []
    for index, item in enumerate(inputs):
        digest = hashlib.blake2b(str(item).encode(), digest_size=32).digest()
        data.append({"object": "embedding", "index": index, "embedding": [byte / 255 for byte in digest]})
    tokens = sum(max(1, len(str(item)) // 4) for item in inputs)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return json_answer({"object": "list", "data": data, "model": body.get("model", "mock-embedding"), "usage": usage})


async def models(request: web.Request) -> web.Response:
    names = ("mock-model", "mock-model-50", "mock-embedding")
    data = [{"id": name, "object": "model", "created": 0, "owned_by": "mock"} for name in names]
    return json_answer({"object": "list", "data": data})


def make_app(settings: MockSettings) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[SETTINGS] = settings
    for prefix in ("/v1", ""):  # a base_url with or without /v1 both work
        app.router.add_post(f"{prefix}/chat/completions", chat_completions)
        app.router.add_post(f"{prefix}/embeddings", embeddings)
        app.router.add_get(f"{prefix}/models", models)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9321)
    parser.add_argument("--latency-ms", type=int, default=0, help="delay before every answer")
    parser.add_argument("--token-ms", type=int, default=0, help="delay between stream events")
    parser.add_argument("--words", type=int, default=24, help="words (= completion tokens) per reply")
    args = parser.parse_args()
    settings = MockSettings(latency_ms=args.latency_ms, token_ms=args.token_ms, words=args.words)
    web.run_app(make_app(settings), host=args.host, port=args.port, access_log=None, print=None, loop=new_loop())


def new_loop() -> asyncio.AbstractEventLoop:
    """uvloop, as the gateways under test use (the mock must never be the bottleneck)."""
    import uvloop

    return uvloop.new_event_loop()


if __name__ == "__main__":
    main()
