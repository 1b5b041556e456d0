"""The "floor": the least a metered Python gateway must do per call, done as cheaply as Python allows.

Rungway's gateway numbers are read against it (docs/benchmarks.md: "req/s >= 0.7x floor"), so it does the
work every metered gateway does on the hot path and nothing else, with the same libraries Rungway uses:
an aiohttp server, one pooled keep-alive aiohttp client, uvloop and orjson.

1. check the bearer key against an in-memory table (401 otherwise);
2. parse the JSON body for the model and the stream flag (400 if it is not JSON with a model);
3. forward the raw body to the model's upstream and relay the answer, SSE chunk by chunk;
4. read the usage (the last SSE event carrying it, for streams), compute the cost from a price table and
   append one record to an in-memory list, which a background task swaps out once a second (standing in
   for a batch writer).

    .venv/bin/python bench/harness/floor_proxy.py --port 9302 --upstream http://127.0.0.1:9321 \
        --route mock-model-50=http://127.0.0.1:9331

Keys: sk-bench-1, sk-bench-2, sk-bench-3. `GET /_stats` shows the request count, the cost and the records
flushed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import aiohttp
import orjson
from aiohttp import web

KEYS = {f"sk-bench-{n}": (n, f"team-{n}") for n in range(1, 4)}  # secret -> (key id, team)
PRICES_PER_TOKEN = {"mock-model": (0.15e-6, 0.60e-6), "mock-model-50": (0.15e-6, 0.60e-6)}
DEFAULT_PRICE = (1e-6, 2e-6)


class CallRecord(NamedTuple):
    """What a metered gateway keeps of every call."""

    at: float
    key_id: int
    team: str
    model: str
    status: int
    stream: bool
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    seconds: float


@dataclass
class Ledger:
    """The in-memory request log: records appended on the hot path, swapped out once a second."""

    pending: list[CallRecord] = field(default_factory=list)
    requests: int = 0
    cost_usd: float = 0.0
    flushed: int = 0

    def record(
        self, key: tuple[int, str], model: str, usage: dict[str, Any] | None, status: int, stream: bool, started: float
    ) -> None:
        prompt = int(usage.get("prompt_tokens", 0)) if usage else 0
        completion = int(usage.get("completion_tokens", 0)) if usage else 0
        price_in, price_out = PRICES_PER_TOKEN.get(model, DEFAULT_PRICE)
        cost = prompt * price_in + completion * price_out
        seconds = time.perf_counter() - started
        self.pending.append(CallRecord(time.time(), *key, model, status, stream, prompt, completion, cost, seconds))
        self.requests += 1
        self.cost_usd += cost


@dataclass
class Floor:
    """Where each model goes, and the one shared client."""

    default_upstream: str
    routes: dict[str, str]
    upstream_headers: dict[str, str]
    ledger: Ledger = field(default_factory=Ledger)
    session: aiohttp.ClientSession | None = None


FLOOR = web.AppKey("floor", Floor)


def error(status: int, message: str, kind: str) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


def usage_in_events(events: list[bytes], usage: dict[str, Any] | None) -> dict[str, Any] | None:
    """The usage of the last finished SSE event that carries one (OpenAI sends it in the last event)."""
    for event in events:
        if event.startswith(b"data: {") and b'"usage"' in event:
            with contextlib.suppress(orjson.JSONDecodeError):
                usage = orjson.loads(event[6:]).get("usage") or usage
    return usage


async def chat(request: web.Request) -> web.StreamResponse:
    t0 = time.perf_counter()
    floor = request.app[FLOOR]
    auth = request.headers.get("Authorization", "")
    key = KEYS.get(auth[7:]) if auth.startswith("Bearer ") else None
    if key is None:
        return error(401, "invalid api key", "authentication_error")
    raw = await request.read()
    try:
        body = orjson.loads(raw)
        model = str(body["model"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return error(400, "the body must be JSON with a model", "invalid_request_error")
    stream = bool(body.get("stream"))
    url = floor.routes.get(model, floor.default_upstream) + request.path
    assert floor.session is not None
    try:
        async with floor.session.post(url, data=raw, headers=floor.upstream_headers) as upstream:
            if not stream or upstream.status != 200:
                data = await upstream.read()
                usage = None
                if upstream.status == 200:
                    with contextlib.suppress(orjson.JSONDecodeError, AttributeError):
                        usage = orjson.loads(data).get("usage")
                floor.ledger.record(key, model, usage, upstream.status, stream=False, started=t0)
                return web.Response(status=upstream.status, body=data, content_type="application/json")
            answer = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
            await answer.prepare(request)
            usage, tail = None, b""
            async for chunk in upstream.content.iter_any():
                await answer.write(chunk)
                events = (tail + chunk).split(b"\n\n")
                tail = events.pop()  # an unfinished event waits for the next chunk
                usage = usage_in_events(events, usage)
            await answer.write_eof()
            floor.ledger.record(key, model, usage, 200, stream=True, started=t0)
            return answer
    except aiohttp.ClientError as exc:
        floor.ledger.record(key, model, None, 502, stream=stream, started=t0)
        return error(502, f"upstream error: {type(exc).__name__}", "upstream_error")


async def stats(request: web.Request) -> web.Response:
    ledger = request.app[FLOOR].ledger
    body = {"requests": ledger.requests, "cost": ledger.cost_usd, "flushed": ledger.flushed}
    return web.Response(body=orjson.dumps({**body, "pending": len(ledger.pending)}), content_type="application/json")


async def client_and_flusher(app: web.Application) -> AsyncIterator[None]:
    floor = app[FLOOR]
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60)
    floor.session = aiohttp.ClientSession(
        connector=connector,
        auto_decompress=False,
        timeout=aiohttp.ClientTimeout(total=600),
        skip_auto_headers=("User-Agent",),
    )

    async def flush_every_second() -> None:
        while True:
            await asyncio.sleep(1.0)
            batch, floor.ledger.pending = floor.ledger.pending, []
            floor.ledger.flushed += len(batch)

    flusher = asyncio.create_task(flush_every_second())
    yield
    flusher.cancel()
    await floor.session.close()


def make_app(floor: Floor) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[FLOOR] = floor
    app.cleanup_ctx.append(client_and_flusher)
    for path in ("/v1/chat/completions", "/chat/completions"):
        app.router.add_post(path, chat)
    app.router.add_get("/_stats", stats)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9302)
    parser.add_argument("--upstream", default="http://127.0.0.1:9321", help="base URL of the default upstream")
    parser.add_argument("--upstream-key", default="sk-mock")
    parser.add_argument("--route", action="append", default=[], metavar="MODEL=URL", help="another upstream for MODEL")
    args = parser.parse_args()
    routes = {}
    for route in args.route:
        model, sep, url = route.partition("=")
        if not sep:
            parser.error(f"--route {route!r}: expected MODEL=URL, e.g. mock-model-50=http://127.0.0.1:9331")
        routes[model] = url.rstrip("/")
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {args.upstream_key}"}
    floor = Floor(default_upstream=args.upstream.rstrip("/"), routes=routes, upstream_headers=headers)
    import uvloop

    web.run_app(
        make_app(floor), host=args.host, port=args.port, access_log=None, print=None, loop=uvloop.new_event_loop()
    )


if __name__ == "__main__":
    main()
