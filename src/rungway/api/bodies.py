"""Reading management API inputs: JSON bodies and query flags, with errors that name the field."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from rungway.errors import InvalidRequest

__all__ = ["flag", "json_object", "optional_str", "str_list"]


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object; 400 naming the problem otherwise."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidRequest(f"the body must be a JSON object, got {type(body).__name__}")
    return body


def optional_str(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"{field} must be a string, got {value!r}", param=field)
    return value


def str_list(body: dict[str, Any], field: str) -> tuple[str, ...]:
    value = body.get(field) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidRequest(f"{field} must be a list of strings, got {value!r}", param=field)
    return tuple(value)


def flag(request: web.Request, name: str) -> bool:
    """A boolean query parameter: true/1/yes (any case) is true."""
    return request.query.get(name, "").lower() in ("1", "true", "yes")
