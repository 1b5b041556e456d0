"""`GET/DELETE /v1/responses/{id}` and `GET /v1/responses/{id}/input_items`: key-authenticated, scoped to the
key's workload, errors in OpenAI's shape (another workload's response is a 404, as a missing one)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from rungway.capability import CallContext
from rungway.errors import InvalidRequest, RungwayError
from rungway.gateway.auth import authenticate
from rungway.gateway.responses import error_response, json_response
from rungway.gateway.routes import STATE
from rungway.responses.dialect import ResponseNotFound
from rungway.responses.model import StoredResponse
from rungway.responses.runtime import ResponsesRuntime

__all__ = ["add_response_routes"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_response_routes(app: web.Application, runtime: ResponsesRuntime) -> None:
    for prefix in ("/v1/responses", "/responses"):
        app.router.add_get(prefix + "/{id}", _handler(runtime, _retrieve))
        app.router.add_delete(prefix + "/{id}", _handler(runtime, _delete))
        app.router.add_get(prefix + "/{id}/input_items", _handler(runtime, _input_items))


def _handler(
    runtime: ResponsesRuntime, answer: Callable[[ResponsesRuntime, str, str, web.Request], Awaitable[web.Response]]
) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        ctx = CallContext(request, "responses", "req_route")
        try:
            await authenticate(request.app[STATE], ctx)
            assert ctx.key is not None
            return await answer(runtime, ctx.key.workload, request.match_info["id"], request)
        except RungwayError as error:
            return error_response(error)

    return handle


def _missing(response_id: str) -> ResponseNotFound:
    return ResponseNotFound(f"Response with id '{response_id}' not found.", param="response_id", code="not_found")


async def _stored(runtime: ResponsesRuntime, workload: str, response_id: str) -> StoredResponse:
    found = await runtime.find(workload, response_id)
    if found is None:
        raise _missing(response_id)
    return found


async def _retrieve(runtime: ResponsesRuntime, workload: str, response_id: str, _request: web.Request) -> web.Response:
    return json_response((await _stored(runtime, workload, response_id)).response)


async def _delete(runtime: ResponsesRuntime, workload: str, response_id: str, _request: web.Request) -> web.Response:
    if not await runtime.delete(workload, response_id):
        raise _missing(response_id)
    return json_response({"id": response_id, "object": "response", "deleted": True})


async def _input_items(
    runtime: ResponsesRuntime, workload: str, response_id: str, request: web.Request
) -> web.Response:
    stored = await _stored(runtime, workload, response_id)
    query = request.query
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise InvalidRequest("'order' must be asc or desc.", param="order")
    try:
        limit = int(query.get("limit", "20"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise InvalidRequest("'limit' must be a whole number from 1 to 100.", param="limit")
    items: list[dict[str, Any]] = list(stored.input_items if order == "asc" else reversed(stored.input_items))
    after = query.get("after")
    if after is not None:
        ids = [item.get("id") for item in items]
        if after not in ids:
            raise InvalidRequest(f"No item with id '{after}' in this response's input.", param="after")
        items = items[ids.index(after) + 1 :]
    page = items[:limit]
    return json_response(
        {
            "object": "list",
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": len(items) > limit,
        }
    )
