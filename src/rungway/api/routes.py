"""Mount every management router under /api/ and serve the OpenAPI document built from them."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from rungway.api.auth import CALLER, authenticate_caller, require
from rungway.api.registry import ApiRoute, ApiRouter, Handler
from rungway.errors import RungwayError
from rungway.gateway.pipeline import PipelineExtension
from rungway.gateway.responses import error_response, internal_error_response, json_response
from rungway.gateway.state import GatewayState

log = logging.getLogger("rungway.api")

# Each capability's router module; each defines `router: ApiRouter`.
ROUTER_MODULES: list[str] = [
    "rungway.api.keys",
    "rungway.api.workloads",
    "rungway.api.logs",
    "rungway.api.budgets",
    "rungway.api.cost",
    "rungway.api.assess",
    "rungway.api.traces",
]


def routers() -> list[ApiRouter]:
    found = []
    for name in ROUTER_MODULES:
        module = importlib.import_module(name)
        found.append(module.router)
    return found


def _guarded(route: ApiRoute) -> Handler:
    """Authenticate, check the role, map errors to the OpenAI-style body."""

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            caller = await authenticate_caller(request)
            require(caller, route.role)
            request[CALLER] = caller
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


def openapi_document(all_routers: Sequence[ApiRouter]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for router in all_routers:
        for route in router.routes:
            op: dict[str, Any] = {
                "summary": route.summary,
                "tags": [route.tag],
                "operationId": _operation_id(route),
                "security": [{"bearer": []}],
                "description": f"Requires the `{route.role.value}` role.",
                "parameters": [
                    {
                        "name": p.name,
                        "in": "query",
                        "required": p.required,
                        "description": p.description,
                        "schema": {"type": p.type},
                    }
                    for p in route.params
                ]
                + [
                    {"name": seg[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
                    for seg in route.path.split("/")
                    if seg.startswith("{")
                ],
                "responses": {
                    str(route.status): {
                        "description": "OK",
                        "content": {"application/json": {"schema": route.response or {"type": "object"}}},
                    },
                    "401": {"$ref": "#/components/responses/Error"},
                    "403": {"$ref": "#/components/responses/Error"},
                },
            }
            if route.body is not None:
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.body}}}
            paths.setdefault(route.path, {})[route.method.lower()] = op
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
                                "properties": {
                                    "error": {
                                        "type": "object",
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


def install_api(app: web.Application, state: GatewayState) -> Sequence[PipelineExtension]:
    all_routers = routers()
    for router in all_routers:
        for route in router.routes:
            app.router.add_route(route.method, route.path, _guarded(route))
    document = openapi_document(all_routers)

    async def openapi(_request: web.Request) -> web.StreamResponse:
        return json_response(document)

    app.router.add_get("/api/openapi.json", openapi)
    return ()
