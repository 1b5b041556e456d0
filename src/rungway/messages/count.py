"""`POST /v1/messages/count_tokens`: the input tokens of a Messages request, by the gateway's own estimate.

Not a model call: no upstream, no budget, no record, no database. The caller's key is checked like a
gateway call's (`x-api-key` or `Authorization: Bearer`), may only count for models it may use, and the
body is read within `server.max_body_bytes`; each answer is counted in `rungway_requests` (/metrics).
The request is translated exactly as `/v1/messages` does, so the estimate is the one the gateway's limits
use for the same call.
"""

from __future__ import annotations

import orjson
from aiohttp import web

from rungway.capability import STATE, CallContext, GatewayState
from rungway.domain.ids import new_id
from rungway.domain.usage import prompt_tokens
from rungway.errors import PermissionDenied, RungwayError
from rungway.gateway.auth import authenticate
from rungway.gateway.body import read_json_object
from rungway.messages.errors import error_response
from rungway.messages.request import to_chat_body

__all__ = ["PATH", "count_tokens"]

PATH = "/v1/messages/count_tokens"
ENDPOINT = "messages.count_tokens"


async def count_tokens(request: web.Request) -> web.Response:
    state = request.app[STATE]
    ctx = CallContext(request=request, endpoint=ENDPOINT, id=new_id("req_"))
    try:
        await authenticate(state, ctx)
        body = await read_json_object(request, state.config.server.max_body_bytes)
        chat = to_chat_body(body, need_max_tokens=False)
        ctx.model_requested = chat["model"]
        if ctx.key is not None and not ctx.key.may_use(chat["model"]):
            raise PermissionDenied(f"This API key may not use the model `{chat['model']}`.", code="model_not_allowed")
    except RungwayError as error:
        _count(state, ctx, error.status)
        answer = error_response(error)
        answer.headers["x-request-id"] = ctx.id
        return answer
    _count(state, ctx, 200)
    return web.Response(
        body=orjson.dumps({"input_tokens": prompt_tokens(chat)}),
        content_type="application/json",
        headers={"x-request-id": ctx.id},
    )


def _count(state: GatewayState, ctx: CallContext, status: int) -> None:
    """`rungway_requests{endpoint="messages.count_tokens"}`: the model label only for a configured model (a
    caller's free text never becomes a series)."""
    model = ctx.model_requested if ctx.model_requested in state.config.models else ""
    workload = ctx.key.workload if ctx.key is not None else ""
    state.metrics.requests.labels(ENDPOINT, workload, model or "", str(status)).inc()
