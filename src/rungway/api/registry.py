"""Declaring management API routes once: for aiohttp and for the OpenAPI document.

Each capability owns one `ApiRouter` in its own module (`api/keys.py`, `api/traces.py`, ...) and
declares routes with `@router.route(...)`, giving the role needed, query parameters and JSON
schemas; `api/routes.py` mounts every router and serves `/api/openapi.json` built from them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from rungway.domain.keys import Role

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class QueryParam:
    """A documented query parameter."""

    name: str
    description: str
    type: str = "string"
    required: bool = False


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
    ) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self.routes.append(
                ApiRoute(method.upper(), path, handler, summary, role, self.tag, params, body, response, status)
            )
            return handler

        return decorate
