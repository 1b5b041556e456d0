"""Step: read and validate the JSON body (400 naming the problem, never a crash).

Every typed field the gateway itself reads (model, messages, stream, stream_options, user,
metadata, store, max_tokens, max_completion_tokens, n, tools, input, dimensions, encoding_format)
is checked here, before anything is counted, priced or forwarded; fields the gateway only
forwards are the upstream's to judge.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from rungway.domain.bounds import MAX_METADATA_PAIRS, MODEL, BoundViolation
from rungway.errors import InvalidRequest, PayloadTooLarge
from rungway.gateway.context import CallContext
from rungway.gateway.state import GatewayState
from rungway.providers.base import moderator_of

__all__ = [
    "ACCEPTED_ENCODINGS",
    "check_chat_body",
    "check_read_chat_body",
    "default_moderation_model",
    "parse_chat_body",
    "parse_embeddings_body",
    "parse_moderations_body",
    "read_body",
    "read_chat_body",
    "read_json_object",
]

# What aiohttp inflates itself (within client_max_size); anything else would reach us still encoded.
ACCEPTED_ENCODINGS = frozenset({"", "identity", "gzip", "x-gzip", "deflate"})
MAX_CHOICES = 128
MAX_OUTPUT_TOKENS = 2**31 - 1
MAX_DIMENSIONS = 65_536
MAX_MODERATION_INPUTS = 128
MAX_MODERATION_CHARS = 100_000  # per text input or image URL (a data: URL counts whole)


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """The request body, inflated; 400 for an encoding we cannot read, 413 past `max_bytes`."""
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in ACCEPTED_ENCODINGS:
        raise InvalidRequest(
            f"Content-Encoding {encoding!r} is not supported; send the body as is, gzip or deflate.",
            code="unsupported_content_encoding",
        )
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"Request body of {request.content_length} bytes exceeds the limit of {max_bytes}.")
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLarge(f"Request body exceeds the limit of {max_bytes} bytes.") from None
    except RequestPayloadError as exc:  # e.g. Content-Encoding: gzip over a body that is not gzip
        raise InvalidRequest(
            f"The request body could not be decoded as Content-Encoding {encoding!r}: {exc}.",
            code="invalid_content_encoding",
        ) from None


async def read_json_object(request: web.Request, max_bytes: int) -> dict[str, Any]:
    raw = await read_body(request, max_bytes)
    if not raw:
        raise InvalidRequest("The request body is empty; send a JSON object.", code="invalid_json")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"The request body is not valid JSON: {exc}.", code="invalid_json") from None
    if not isinstance(data, dict):
        raise InvalidRequest("The request body must be a JSON object.", code="invalid_json")
    return data


def _whole(body: dict[str, Any], name: str, low: int, high: int) -> None:
    value = body.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
        raise InvalidRequest(f"'{name}' must be a whole number from {low} to {high}; got {value!r}.", param=name)


def _typed(body: dict[str, Any], name: str, kind: type | tuple[type, ...], what: str) -> None:
    value = body.get(name)
    if value is not None and not isinstance(value, kind):
        raise InvalidRequest(f"'{name}' must be {what}; got {type(value).__name__}.", param=name)


def _model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("'model' is required and must be a string.", param="model", code="missing_model")
    try:
        return MODEL.check(model)
    except BoundViolation as exc:
        raise InvalidRequest(str(exc), param="model", code="invalid_model") from None


def _metadata(body: dict[str, Any]) -> None:
    metadata = body.get("metadata")
    if metadata is None:
        return
    if not isinstance(metadata, dict):
        raise InvalidRequest("'metadata' must be an object of string values.", param="metadata")
    if len(metadata) > MAX_METADATA_PAIRS:
        raise InvalidRequest(f"'metadata' has {len(metadata)} pairs; at most {MAX_METADATA_PAIRS}.", param="metadata")
    for key, value in metadata.items():
        if not isinstance(value, str | int | float | bool):
            raise InvalidRequest(f"metadata[{key!r}] must be a string, number or boolean.", param=f"metadata.{key}")


def _message(index: int, message: object) -> None:
    """The parts of a message the gateway reads (to estimate tokens and record the prompt)."""
    if not isinstance(message, dict) or not isinstance(message.get("role"), str):
        raise InvalidRequest(f"messages[{index}] must be an object with a 'role'.", param=f"messages[{index}]")
    content = message.get("content")
    if content is not None and not isinstance(content, str | list):
        raise InvalidRequest(
            f"messages[{index}].content must be a string or an array of parts.", param=f"messages[{index}].content"
        )
    if isinstance(content, list) and not all(isinstance(part, dict) for part in content):
        raise InvalidRequest(f"messages[{index}].content parts must be objects.", param=f"messages[{index}].content")
    calls = message.get("tool_calls")
    if calls is not None and not isinstance(calls, list):
        raise InvalidRequest(f"messages[{index}].tool_calls must be an array.", param=f"messages[{index}].tool_calls")


def _common(body: dict[str, Any]) -> str:
    """Fields both endpoints read: the model, the user and the metadata."""
    model = _model(body)
    _typed(body, "user", str, "a string")
    _metadata(body)
    return model


def check_chat_body(ctx: CallContext, body: dict[str, Any]) -> None:
    """Validate a chat body (as read, or as a `PipelineExtension.expand_body` step rewrote it) and
    take what the gateway reads from it into `ctx`."""
    model = _common(body)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("'messages' must be a non-empty array.", param="messages")
    for index, message in enumerate(messages):
        _message(index, message)
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise InvalidRequest("'stream' must be a boolean.", param="stream")
    options = body.get("stream_options")
    _typed(body, "stream_options", dict, 'an object such as {"include_usage": true}')
    include_usage = options.get("include_usage", False) if isinstance(options, dict) else False
    if not isinstance(include_usage, bool):
        raise InvalidRequest("'stream_options.include_usage' must be a boolean.", param="stream_options.include_usage")
    _typed(body, "store", bool, "a boolean")
    _typed(body, "tools", list, "an array")
    _whole(body, "n", 1, MAX_CHOICES)
    _whole(body, "max_tokens", 1, MAX_OUTPUT_TOKENS)
    _whole(body, "max_completion_tokens", 1, MAX_OUTPUT_TOKENS)
    ctx.client_wants_usage = include_usage
    ctx.stream = stream
    ctx.body = body
    ctx.model_requested = model


async def parse_chat_body(state: GatewayState, ctx: CallContext) -> None:
    """Read and check in one step: the pipeline when no capability expands the body."""
    check_chat_body(ctx, await read_json_object(ctx.request, state.config.server.max_body_bytes))


async def read_chat_body(state: GatewayState, ctx: CallContext) -> None:
    """Read only (into `ctx.body`): the `expand_body` steps run next, then `check_read_chat_body`."""
    ctx.body = await read_json_object(ctx.request, state.config.server.max_body_bytes)


async def check_read_chat_body(state: GatewayState, ctx: CallContext) -> None:
    check_chat_body(ctx, ctx.body)


async def parse_embeddings_body(state: GatewayState, ctx: CallContext) -> None:
    body = await read_json_object(ctx.request, state.config.server.max_body_bytes)
    model = _common(body)
    value = body.get("input")
    if not (isinstance(value, str) and value) and not (isinstance(value, list) and value):
        raise InvalidRequest("'input' must be a non-empty string or array.", param="input")
    _whole(body, "dimensions", 1, MAX_DIMENSIONS)
    encoding = body.get("encoding_format")
    if encoding is not None and encoding not in ("float", "base64"):
        raise InvalidRequest(f"'encoding_format' must be float or base64; got {encoding!r}.", param="encoding_format")
    ctx.body = body
    ctx.model_requested = model


def _moderation_input(value: object) -> None:
    """`input`: a string, or an array of strings or of text / image_url parts; bounded in count and size."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or items == [""]:
        raise InvalidRequest("'input' must be a non-empty string or array.", param="input")
    if len(items) > MAX_MODERATION_INPUTS:
        raise InvalidRequest(f"'input' has {len(items)} items; at most {MAX_MODERATION_INPUTS}.", param="input")
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("type") == "text":
            item = item.get("text")
        elif isinstance(item, dict) and item.get("type") == "image_url":
            image = item.get("image_url")
            item = image.get("url") if isinstance(image, dict) else None
        if not isinstance(item, str):
            raise InvalidRequest(
                f"input[{index}] must be a string, {{'type': 'text', 'text': ...}} or "
                "{'type': 'image_url', 'image_url': {'url': ...}}.",
                param=f"input[{index}]",
            )
        if len(item) > MAX_MODERATION_CHARS:
            raise InvalidRequest(
                f"input[{index}] has {len(item)} characters; at most {MAX_MODERATION_CHARS}.", param=f"input[{index}]"
            )


async def parse_moderations_body(state: GatewayState, ctx: CallContext) -> None:
    """`model` is optional: without one, the configured model the call goes to is `default_moderation_model`'s."""
    body = await read_json_object(ctx.request, state.config.server.max_body_bytes)
    if body.get("model") is None:
        default = default_moderation_model(state)
        if default is None:
            raise InvalidRequest(
                "'model' is required: no configured model's provider can moderate.", param="model", code="missing_model"
            )
        body["model"] = default
    model = _model(body)
    _moderation_input(body.get("input"))
    ctx.body = body
    ctx.model_requested = model


def default_moderation_model(state: GatewayState) -> str | None:
    """The first `models:` entry whose provider can moderate, one named for moderation first."""
    able = [
        (name, route)
        for name, route in state.config.models.items()
        if moderator_of(state.providers.get(route.provider)) is not None
    ]
    for name, route in able:
        if "moderation" in name or "moderation" in route.upstream_model:
            return name
    return able[0][0] if able else None
