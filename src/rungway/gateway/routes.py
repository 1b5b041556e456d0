"""The gateway's HTTP routes: the OpenAI surface plus health and metrics."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web
from sqlalchemy import text

from rungway.domain.ids import new_id
from rungway.errors import AuthenticationFailed, RungwayError
from rungway.gateway.auth import authenticate
from rungway.gateway.context import CALL, CallContext
from rungway.gateway.dispatch import add_gateway_path
from rungway.gateway.metrics import metrics_access_allowed
from rungway.gateway.pipeline import Pipeline
from rungway.gateway.responses import error_response, json_response
from rungway.gateway.state import GatewayState

STATE = web.AppKey("rungway_state", GatewayState)
PIPELINES = web.AppKey("rungway_pipelines", dict[str, Pipeline])


async def chat_completions(request: web.Request) -> web.StreamResponse:
    return await request.app[PIPELINES]["chat.completions"].handle(request.app[STATE], request)


async def embeddings(request: web.Request) -> web.StreamResponse:
    return await request.app[PIPELINES]["embeddings"].handle(request.app[STATE], request)


async def moderations(request: web.Request) -> web.StreamResponse:
    return await request.app[PIPELINES]["moderations"].handle(request.app[STATE], request)


async def list_models(request: web.Request) -> web.StreamResponse:
    """The models this key may use, in the OpenAI list format."""
    state = request.app[STATE]
    ctx = CallContext(request=request, endpoint="models", id="")
    try:
        await authenticate(state, ctx)
    except RungwayError as error:
        return error_response(error)
    assert ctx.key is not None
    created = int(time.time())
    data = [
        {"id": name, "object": "model", "created": created, "owned_by": route.provider}
        for name, route in state.config.models.items()
        if ctx.key.may_use(name)
    ]
    wanted = request.match_info.get("model")
    if wanted is not None:
        for item in data:
            if item["id"] == wanted:
                return json_response(item)
        return json_response(
            {
                "error": {
                    "message": f"The model `{wanted}` does not exist or you do not have access to it.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "model_not_found",
                }
            },
            status=404,
        )
    return json_response({"object": "list", "data": data})


async def healthz(request: web.Request) -> web.StreamResponse:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.StreamResponse:
    """Ready means able to serve calls: 200 while every record queue has room, even with the store down.

    The queues absorb a store outage, so taking every replica out of a load balancer for it would
    turn a logging delay into an outage. 503 only when a queue is full (calls would go unrecorded).
    The store's state is reported beside it: a live ping, and each queue's last write.
    """
    state = request.app[STATE]

    def ping() -> None:
        with state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    store: dict[str, str] = {"state": "ok"}
    try:
        await asyncio.wait_for(asyncio.to_thread(ping), timeout=2.0)
    except Exception as exc:  # noqa: BLE001 - any failure means the store is down; the reason is reported
        store = {"state": "down", "error": exc.__class__.__name__}
    queues = [
        {
            "name": w.name,
            "depth": w.depth,
            "room": w.capacity_left,
            "writes": "ok" if w.store_ok else "failing",
        }
        for w in state.writers
    ]
    full = [f"queue {w.name} is full" for w in state.writers if w.capacity_left <= 0]
    body = {"status": "unavailable" if full else "ready", "store": store, "queues": queues, "problems": full}
    return json_response(body, status=503 if full else 200)


async def metrics(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    server = state.config.server
    if not metrics_access_allowed(request.headers.get("Authorization"), server.metrics_key, server.admin_key):
        return error_response(
            AuthenticationFailed("/metrics needs `Authorization: Bearer <server.metrics_key or the admin key>`")
        )
    body = state.metrics.render()
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})


REQUEST_ID_HEADER = "x-request-id"
TRACE_ID_HEADER = "x-rungway-trace-id"


async def stamp_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer (errors, 404s and management calls included) names the call it answers.

    A gateway call's id is the one in the request log, and its trace id the one in the traces;
    any other answer gets a fresh id so a user can still quote it."""
    if REQUEST_ID_HEADER in response.headers:
        return
    call = request.get(CALL)
    response.headers[REQUEST_ID_HEADER] = call.id if call is not None else new_id("req_")
    if call is not None and call.trace_id and TRACE_ID_HEADER not in response.headers:
        response.headers[TRACE_ID_HEADER] = call.trace_id


def add_gateway_routes(app: web.Application) -> None:
    app.on_response_prepare.append(stamp_request_id)
    for path, handler in (
        ("/v1/chat/completions", chat_completions),
        ("/chat/completions", chat_completions),
        ("/v1/embeddings", embeddings),
        ("/embeddings", embeddings),
        ("/v1/moderations", moderations),
        ("/moderations", moderations),
    ):
        app.router.add_post(path, handler)
        add_gateway_path(app, path)
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/v1/models/{model}", list_models)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
