"""Anthropic's error shape: `{"type": "error", "error": {"type": ..., "message": ...}}`, typed by status.

The Anthropic SDKs pick their exception class from the status and read `error.type`; Rungway's own error
types (budget_exceeded, no_healthy_deployment, upstream_error) are mapped onto Anthropic's closed set here.
"""

from __future__ import annotations

import orjson
from aiohttp import web

from rungway.errors import RungwayError

__all__ = ["error_event", "error_json", "error_response", "error_type"]

_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    529: "overloaded_error",
}


def error_type(status: int) -> str:
    """Anthropic's error type for an HTTP status (other 4xx: invalid_request_error; other 5xx: api_error)."""
    known = _BY_STATUS.get(status)
    if known is not None:
        return known
    return "invalid_request_error" if 400 <= status < 500 else "api_error"


def error_json(error: RungwayError) -> bytes:
    return orjson.dumps({"type": "error", "error": {"type": error_type(error.status), "message": error.message}})


def error_response(error: RungwayError) -> web.Response:
    """An error before the answer began: Anthropic's body, the error's status and headers (Retry-After)."""
    return web.Response(
        body=error_json(error), status=error.status, content_type="application/json", headers=error.headers()
    )


def error_event(error: RungwayError) -> bytes:
    """The `event: error` that ends a stream which failed after it began."""
    return b"event: error\ndata: " + error_json(error) + b"\n\n"
