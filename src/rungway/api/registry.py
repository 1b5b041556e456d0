"""Declaring management API routes once: for aiohttp, for input validation and for the OpenAPI document.

Each capability owns one `ApiRouter` in its own module (`api/keys.py`, `traces/api.py`, ...) and
declares routes with `@router.route(...)`, giving the role needed, query parameters and JSON
schemas; `api/routes.py` mounts every router, checks each request's query and body against these
declarations before the handler runs (so every route answers 400, never 500, for bad input), and
serves `/api/openapi.json` built from the same declarations, so the document says what is checked.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from aiohttp import web

from rungway.domain.bounds import has_control_characters
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest

__all__ = [
    "DURATION_PATTERN",
    "LATEST_TIME",
    "NO_CONTROL",
    "TIME_PATTERN",
    "ApiRoute",
    "ApiRouter",
    "Handler",
    "QueryParam",
    "check_query",
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

LATEST_TIME = 253402387199.0  # 9999-12-31T23:59:59-14:00: later instants are typing mistakes, not times
NO_CONTROL = r"^[^\x00-\x1f\x7f-\x9f]*$"
"""Printable text: no NUL or other C0/C1 control character (PostgreSQL refuses NUL; logs and tables garble the rest)."""
DURATION_PATTERN = r"^[0-9]{1,6}(\.[0-9]{1,3})?[smhdwSMHDW]$"
_QUERY_TYPES = ("string", "integer", "number", "boolean", "time")
_TRUE_FALSE = ("true", "false", "1", "0", "yes", "no")
_TRUE_FALSE_PATTERN = "^(" + "|".join("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)
                                      for word in _TRUE_FALSE) + ")$"  # fmt: skip
TIME_PATTERN = (  # what `QueryParam._time` accepts: a subset of what parse_instant reads (years 1980-9999)
    r"^([0-9]{1,6}(\.[0-9]{1,3})?[smhdwSMHDW]"  # a duration ago
    r"|[0-9]{1,11}(\.[0-9]{1,6})?"  # epoch seconds
    r"|(19[89][0-9]|[2-9][0-9]{3})-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9])?)?)$"
)


@dataclass(frozen=True, slots=True)
class QueryParam:
    """A documented and checked query parameter.

    `type` is string, integer, number (finite), boolean (true/false/1/0/yes/no) or time (a
    duration ago such as 7d, an ISO 8601 date/time, or epoch seconds up to year 9999)."""

    name: str
    description: str
    type: str = "string"
    required: bool = False
    enum: Sequence[str] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = 256
    pattern: str | None = None  # a string's whole value must match (`^...$`, published in the schema)

    def __post_init__(self) -> None:
        if self.type not in _QUERY_TYPES:
            raise ValueError(f"query parameter {self.name}: type {self.type!r} is not one of {_QUERY_TYPES}")

    def schema(self) -> dict[str, Any]:
        """The parameter's JSON schema, exactly what `check` accepts."""
        if self.type == "boolean":  # any case, as `check` reads it
            return {"type": "string", "pattern": _TRUE_FALSE_PATTERN, "examples": list(_TRUE_FALSE)}
        if self.type == "time":
            return {"type": "string", "pattern": TIME_PATTERN, "maxLength": 64}
        if self.type in ("integer", "number"):
            schema: dict[str, Any] = {"type": self.type}
            if self.minimum is not None:
                schema["minimum"] = self.minimum
            if self.maximum is not None:
                schema["maximum"] = self.maximum
            return schema
        if self.enum:
            return {"type": "string", "enum": list(self.enum)}
        return {"type": "string", "maxLength": self.max_length, "pattern": self.pattern or NO_CONTROL}

    def check(self, raw: str) -> None:
        """400 naming the parameter unless `raw` fits the declaration."""
        if self.type == "integer":
            self._in_range(self._number(raw, whole=True))
        elif self.type == "number":
            self._in_range(self._number(raw, whole=False))
        elif self.type == "boolean":
            if raw.lower() not in _TRUE_FALSE:
                self._refuse(f"true or false, got {raw!r}")
        elif self.type == "time":
            self._time(raw)
        elif self.enum and raw not in self.enum:
            self._refuse(f"one of {', '.join(self.enum)}, got {raw!r}")
        elif len(raw) > self.max_length or has_control_characters(raw):
            self._refuse(f"printable text of at most {self.max_length} characters")
        elif self.pattern is not None and re.fullmatch(self.pattern, raw) is None:
            self._refuse(f"text matching {self.pattern}, got {raw[:40]!r}")

    def _number(self, raw: str, *, whole: bool) -> float:
        try:
            value: float = int(raw) if whole else float(raw)
        except ValueError:
            self._refuse(f"{'a whole number' if whole else 'a number'}, got {raw[:40]!r}")
        if not math.isfinite(value):
            self._refuse(f"a finite number, got {raw[:40]!r}")
        return value

    def _in_range(self, value: float) -> None:
        low = -math.inf if self.minimum is None else self.minimum
        high = math.inf if self.maximum is None else self.maximum
        if not low <= value <= high:
            self._refuse(f"between {self.minimum} and {self.maximum}, got {value}")

    def _time(self, raw: str) -> None:
        if re.match(TIME_PATTERN, raw) is None:
            self._refuse(f"7d, 24h, an ISO date/time from 1980 (2025-01-31T12:00Z) or epoch seconds, got {raw[:40]!r}")
        # What the pattern allows parses to a finite time no later than LATEST_TIME (a duration reaching
        # before 1970 is a negative time: "from the start"), so handlers need no range checks of their own.

    def _refuse(self, expected: str) -> NoReturn:
        raise InvalidRequest(f"query parameter {self.name} must be {expected}", param=self.name)


def check_query(params: Sequence[QueryParam], query: Mapping[str, str]) -> None:
    """400 for the first declared parameter that is missing (when required) or does not fit."""
    for param in params:
        raw = query.get(param.name)
        if raw is None or raw == "":
            if param.required:
                raise InvalidRequest(f"query parameter {param.name} is required: {param.description}", param=param.name)
            continue
        param.check(raw)


@dataclass(frozen=True)
class ApiRoute:
    """One management endpoint and everything the OpenAPI document says about it."""

    method: str
    path: str
    handler: Handler
    summary: str
    role: Role
    tag: str
    params: Sequence[QueryParam] = ()
    body: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    status: int = 200
    content_types: Sequence[str] = ("application/json",)


@dataclass
class ApiRouter:
    """A capability's routes under /api/."""

    tag: str
    routes: list[ApiRoute] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        role: Role = Role.VIEWER,
        params: Sequence[QueryParam] = (),
        body: dict[str, Any] | None = None,
        response: dict[str, Any] | None = None,
        status: int = 200,
        content_types: Sequence[str] = ("application/json",),
    ) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self.routes.append(
                ApiRoute(
                    method.upper(),
                    path,
                    handler,
                    summary,
                    role,
                    self.tag,
                    params,
                    body,
                    response,
                    status,
                    content_types,
                )
            )
            return handler

        return decorate
