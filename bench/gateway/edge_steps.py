"""CPU per call of the edge steps (parse body, attribute, x-request-id hook) on a typical chat body.

Runs the steps in-process on a mocked aiohttp request, no server, no network: the number is the
steps' own cost. Run it on two checkouts for an A/B (`PYTHONPATH=<other>/src python bench/gateway/edge_steps.py`).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import Any

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from rungway.gateway import attribution, body, context, routes
from rungway.gateway.context import CallContext

_CALL = getattr(context, "CALL", None)  # absent before x-request-id on every answer: the A side of an A/B
_STAMP = getattr(routes, "stamp_request_id", None)

BODY = json.dumps(
    {
        "model": "gpt-4o-mini",
        "user": "ana@example.com",
        "metadata": {"feature": "support", "session_id": "s-123"},
        "stream": False,
        "max_tokens": 256,
        "messages": [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": "x" * 800}],
    }
).encode()
HEADERS = {"x-rungway-tags": "team=cx,env=prod", "x-rungway-user": "ana", "Content-Type": "application/json"}


class _Config:
    class server:  # noqa: N801 - mimics config.server
        max_body_bytes = 10_000_000

    config = None


class _State:
    config = _Config


def _request() -> web.Request:
    request = make_mocked_request("POST", "/v1/chat/completions", headers=HEADERS)
    request._read_bytes = BODY  # what aiohttp caches after reading the body
    return request


async def _one(request: web.Request) -> None:
    ctx = CallContext(request=request, endpoint="chat.completions", id="req_x")
    if _CALL is not None:
        request[_CALL] = ctx  # as Pipeline.handle does
    state: Any = _State()
    await body.parse_chat_body(state, ctx)
    await attribution.attribute(state, ctx)
    if _STAMP is not None:
        await _STAMP(request, web.Response())


async def main(rounds: int = 5, calls: int = 20_000) -> None:
    request = _request()
    per_call = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(calls):
            await _one(request)
        per_call.append((time.process_time() - start) / calls * 1e6)
    print(f"edge steps: median {statistics.median(per_call):.1f} µs CPU per call over {rounds} rounds of {calls}")


if __name__ == "__main__":
    asyncio.run(main())
