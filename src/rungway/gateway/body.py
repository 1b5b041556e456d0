"""Step: read and validate the JSON body (400 naming the problem, never a crash)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from rungway.errors import InvalidRequest, PayloadTooLarge
from rungway.gateway.context import CallContext
from rungway.gateway.state import GatewayState


async def read_json_object(request: web.Request, max_bytes: int) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"Request body of {request.content_length} bytes exceeds the limit of {max_bytes}.")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLarge(f"Request body exceeds the limit of {max_bytes} bytes.") from None
    if not raw:
        raise InvalidRequest("The request body is empty; send a JSON object.", code="invalid_json")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"The request body is not valid JSON: {exc}.", code="invalid_json") from None
    if not isinstance(data, dict):
        raise InvalidRequest("The request body must be a JSON object.", code="invalid_json")
    return data


async def parse_chat_body(state: GatewayState, ctx: CallContext) -> None:
    body = await read_json_object(ctx.request, state.config.server.max_body_bytes)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("'model' is required and must be a string.", param="model", code="missing_model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("'messages' must be a non-empty array.", param="messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise InvalidRequest(f"messages[{index}] must be an object with a 'role'.", param=f"messages[{index}]")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise InvalidRequest("'stream' must be a boolean.", param="stream")
    options = body.get("stream_options")
    ctx.client_wants_usage = bool(isinstance(options, dict) and options.get("include_usage"))
    ctx.stream = stream
    ctx.body = body
    ctx.model_requested = model


async def parse_embeddings_body(state: GatewayState, ctx: CallContext) -> None:
    body = await read_json_object(ctx.request, state.config.server.max_body_bytes)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("'model' is required and must be a string.", param="model", code="missing_model")
    value = body.get("input")
    if not (isinstance(value, str) and value) and not (isinstance(value, list) and value):
        raise InvalidRequest("'input' must be a non-empty string or array.", param="input")
    ctx.body = body
    ctx.model_requested = model
