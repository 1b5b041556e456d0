"""Mount the capabilities' management routers under /api/ and serve the OpenAPI document built from them.

The core management routes (keys, workloads, the request log, cost) are the `api` capability
declared here (`MANAGEMENT_API`); the other capabilities declare their own routers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from rungway.api.auth import CALLER, authenticate_caller, require
from rungway.api.bodies import NO_CONTROL, BodySchema, json_object
from rungway.api.registry import ApiRoute, ApiRouter, Handler, check_query
from rungway.capability import load_capabilities
from rungway.domain.bounds import has_control_characters
from rungway.errors import InvalidRequest, RungwayError
from rungway.gateway.responses import error_response, internal_error_response, json_response

log = logging.getLogger("rungway.api")
_PATH_MAX = 256
_ERROR = {"$ref": "#/components/responses/Error"}


def routers() -> list[ApiRouter]:
    """Every registered capability's management routers, in registry order (what `serve` mounts)."""
    return [router for capability in load_capabilities() for router in capability.routers]


def _check_path(request: web.Request) -> None:
    for name, value in request.match_info.items():
        if len(value) > _PATH_MAX or has_control_characters(value):
            raise InvalidRequest(f"path parameter {name} must be printable text of at most {_PATH_MAX} characters")


def _guarded(route: ApiRoute) -> Handler:
    """Authenticate, check the role, the path, the query and the body, map errors to the OpenAI-style body."""
    body_schema = BodySchema(route.body) if route.body is not None else None

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            caller = await authenticate_caller(request)
            require(caller, route.role)
            request[CALLER] = caller
            _check_path(request)
            check_query(route.params, request.query)
            if body_schema is not None:
                body_schema.check(await json_object(request))
            return await route.handler(request)
        except RungwayError as error:
            return error_response(error)
        except Exception:  # a bug answers 500 with a logged traceback; the server lives on
            log.exception("unhandled error in %s %s", route.method, route.path)
            return internal_error_response()

    return handle


def _operation_id(route: ApiRoute) -> str:
    path = route.path.strip("/").replace("/", "_").replace("{", "").replace("}", "")
    return f"{route.method.lower()}_{path}"


def _responses(route: ApiRoute) -> dict[str, Any]:
    """The answers a route gives: its success, and the errors every guarded route may give."""
    content = {
        kind: {"schema": route.response or {"type": "object"}}
        if kind == "application/json"
        else {"schema": {"type": "string"}}
        for kind in route.content_types
    }
    responses: dict[str, Any] = {str(route.status): {"description": "OK", "content": content}}
    for code in ("400", "401", "403", "404"):
        responses[code] = _ERROR
    if route.body is not None:
        responses["409"] = _ERROR
        responses["413"] = _ERROR
    return responses


def _operation(route: ApiRoute) -> dict[str, Any]:
    path_params = [seg[1:-1] for seg in route.path.split("/") if seg.startswith("{")]
    op: dict[str, Any] = {
        "summary": route.summary,
        "tags": [route.tag],
        "operationId": _operation_id(route),
        "security": [{"bearer": []}],
        "description": f"Requires the `{route.role.value}` role.",
        "parameters": [
            {"name": p.name, "in": "query", "required": p.required, "description": p.description, "schema": p.schema()}
            for p in route.params
        ]
        + [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "string", "minLength": 1, "maxLength": _PATH_MAX, "pattern": NO_CONTROL},
            }
            for name in path_params
        ],
        "responses": _responses(route),
    }
    if route.body is not None:
        op["requestBody"] = {
            "required": bool(route.body.get("required")),
            "content": {"application/json": {"schema": route.body}},
        }
    return op


def openapi_document(all_routers: Sequence[ApiRouter]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for router in all_routers:
        for route in router.routes:
            paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Rungway management API", "version": "1"},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "Error": {
                    "description": "OpenAI-style error",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["error"],
                                "properties": {
                                    "error": {
                                        "type": "object",
                                        "required": ["message", "type", "param", "code"],
                                        "properties": {
                                            "message": {"type": "string"},
                                            "type": {"type": "string"},
                                            "code": {"type": ["string", "null"]},
                                            "param": {"type": ["string", "null"]},
                                        },
                                    }
                                },
                            }
                        }
                    },
                }
            },
        },
    }


def mount_api(app: web.Application, all_routers: Sequence[ApiRouter]) -> None:
    """Add each route behind the API's guard, and /api/openapi.json describing exactly these routes."""
    for router in all_routers:
        for route in router.routes:
            app.router.add_route(route.method, route.path, _guarded(route))
    document = openapi_document(all_routers)

    async def openapi(_request: web.Request) -> web.StreamResponse:
        return json_response(document)

    app.router.add_get("/api/openapi.json", openapi)
