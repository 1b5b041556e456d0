"""Reading management API inputs: JSON bodies checked against their route's schema, and query flags.

`api/routes.py` reads and checks each body once, before the handler runs, with the schema the
route declares (the one `/api/openapi.json` publishes), so a handler sees a JSON object of the
documented shape; the helpers here then pick fields out of it with errors that name the field.
The schema builders (`text`, `NAME`, ...) give every capability the same string bounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsonschema_rs
import orjson
from aiohttp import web

from rungway.api.registry import LATEST_TIME, NO_CONTROL, TIME_PATTERN
from rungway.domain.bounds import has_control_characters
from rungway.errors import InvalidRequest
from rungway.gateway.body import read_body
from rungway.gateway.routes import STATE

__all__ = [
    "INSTANT",
    "NAME",
    "NO_CONTROL",
    "USD_AMOUNT",
    "BodySchema",
    "flag",
    "json_object",
    "nullable",
    "optional_str",
    "str_list",
    "text",
]

_MULTILINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"  # NO_CONTROL, but tabs and new lines are fine

_BODY = web.RequestKey("rungway_api_body", dict)


def text(
    max_length: int, description: str | None = None, *, multiline: bool = False, min_length: int = 0
) -> dict[str, Any]:
    """A string schema bounded to its column: at most `max_length` characters, no control characters."""
    schema: dict[str, Any] = {
        "type": "string",
        "maxLength": max_length,
        "pattern": _MULTILINE if multiline else NO_CONTROL,
    }
    if min_length:
        schema["minLength"] = min_length
    if description:
        schema["description"] = description
    return schema


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """The same schema, also accepting null."""
    kind = schema["type"]
    return {**schema, "type": [*(kind if isinstance(kind, list) else [kind]), "null"]}


NAME = text(128, min_length=1)
INSTANT: dict[str, Any] = {
    "type": ["string", "number", "null"],
    "minimum": 0,
    "maximum": LATEST_TIME,
    "pattern": TIME_PATTERN,
    "maxLength": 64,
    "description": "ISO 8601 or epoch seconds",
}
USD_AMOUNT: dict[str, Any] = {
    "type": ["string", "number"],
    "pattern": r"^\d{1,9}(\.\d{1,9})?$",
    "exclusiveMinimum": 0,
    "maximum": 1e9,
    "description": "US dollars, e.g. 25.00",
}


class BodySchema:
    """A route's request body schema, compiled once; `check` answers 400 naming the first bad field."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self._validator = jsonschema_rs.validator_for(schema)

    def check(self, body: object) -> None:
        for error in self._validator.iter_errors(body):
            path = ".".join(str(p) for p in error.instance_path)
            kind, detail = error.kind.name, error.kind.as_dict()
            message = error.message if len(error.message) <= 300 else error.message[:300] + "..."
            if kind == "pattern" and isinstance(error.instance, str):
                if has_control_characters(error.instance):
                    message = "must not contain control characters such as NUL"
                else:
                    message = f"{error.instance[:80]!r} does not have the expected form {detail.get('pattern')}"
            elif kind == "additionalProperties":
                path = ".".join([*([path] if path else []), str(detail["unexpected"][0])])
                message = f"unknown field; the known ones are {', '.join(self._known(error.schema_path[:-1]))}"
            elif kind == "minProperties":
                message = f"give at least one of {', '.join(self._known(error.schema_path[:-1]))}"
            elif kind == "required":
                path = ".".join([*([path] if path else []), str(detail["property"])])
                message = "is required"
            raise InvalidRequest(f"{path or 'the body'}: {message}", param=path or None)

    def _known(self, schema_path: Sequence[str | int]) -> list[str]:
        """The fields the (sub-)schema at `schema_path` declares: a nested object's own, not the body's."""
        schema: Any = self.schema
        for step in schema_path:
            schema = schema[step]
        return sorted(schema.get("properties", {}))


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object ({} when empty); 400 naming the problem otherwise."""
    cached: dict[str, Any] | None = request.get(_BODY)
    if cached is not None:
        return cached
    raw = await read_body(request, request.app[STATE].config.server.max_body_bytes)
    if not raw.strip():
        body: Any = {}
    else:
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InvalidRequest(f"the body is not valid JSON: {exc}", code="invalid_json") from None
    if not isinstance(body, dict):
        raise InvalidRequest(f"the body must be a JSON object, got {type(body).__name__}", code="invalid_json")
    whole = {key: _whole_numbers(value) for key, value in body.items()}
    request[_BODY] = whole
    return whole


def _whole_numbers(value: Any) -> Any:
    """2.0 as 2: JSON (and JSON Schema's `integer`) does not tell them apart, so neither do the handlers."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    return value


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
