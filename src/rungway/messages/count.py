"""`POST /v1/messages/count_tokens`: the input tokens of a Messages request, by the gateway's own estimate.

Not a model call: no upstream, no budget, no record, no database. The caller's key is checked like a
gateway call's (`x-api-key` or `Authorization: Bearer`), may only count for models it may use, and the
body is read within `server.max_body_bytes`; the request is translated exactly as `/v1/messages` does,
so the estimate is the one the gateway's limits use for the same call.
"""

from __future__ import annotations

import orjson
from aiohttp import web

from rungway.capability import STATE, CallContext
from rungway.domain.ids import new_id
from rungway.domain.usage import prompt_tokens
from rungway.errors import PermissionDenied, RungwayError
from rungway.gateway.auth import authenticate
from rungway.gateway.body import read_json_object
from rungway.messages.errors import error_response
from rungway.messages.request import to_chat_body

__all__ = ["PATH", "count_tokens"]

PATH = "/v1/messages/count_tokens"


async def count_tokens(request: web.Request) -> web.Response:
    state = request.app[STATE]
    ctx = CallContext(request=request, endpoint="messages.count_tokens", id=new_id("req_"))
    try:
        await authenticate(state, ctx)
        body = await read_json_object(request, state.config.server.max_body_bytes)
        chat = to_chat_body(body, need_max_tokens=False)
        if ctx.key is not None and not ctx.key.may_use(chat["model"]):
            raise PermissionDenied(f"This API key may not use the model `{chat['model']}`.", code="model_not_allowed")
    except RungwayError as error:
        answer = error_response(error)
        answer.headers["x-request-id"] = ctx.id
        return answer
    return web.Response(
        body=orjson.dumps({"input_tokens": prompt_tokens(chat)}),
        content_type="application/json",
        headers={"x-request-id": ctx.id},
    )
