"""JSON and error responses in the OpenAI wire format."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from rungway.errors import RungwayError, error_body
from rungway.gateway.context import CallContext

JSON = "application/json"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type=JSON, headers=headers)


def raw_json_response(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=body, status=status, content_type=JSON, headers=headers)


def answer_headers(ctx: CallContext) -> dict[str, str]:
    """The call's ids, and what steps asked to tell the caller (`ctx.answer_headers`: Deprecation, Sunset)."""
    ids = {"x-request-id": ctx.id, "x-rungway-trace-id": ctx.trace_id or ""}
    return {**ctx.answer_headers, **ids} if ctx.answer_headers else ids


def error_response(error: RungwayError) -> web.Response:
    return web.Response(
        body=orjson.dumps(error.body()),
        status=error.status,
        content_type=JSON,
        headers=error.headers() or None,
    )


def internal_error_response() -> web.Response:
    body = error_body("The gateway hit an internal error; it has been logged.", "internal_error", "internal_error")
    return web.Response(body=orjson.dumps(body), status=500, content_type=JSON)


def sse_event(data: bytes) -> bytes:
    return b"data: " + data + b"\n\n"


SSE_DONE = b"data: [DONE]\n\n"
