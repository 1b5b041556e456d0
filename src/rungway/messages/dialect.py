"""The Messages dialect: what the chat pipeline calls to read a Messages request and write its answer.

On a deployment whose provider speaks Messages (Anthropic) the request goes as the client sent it and the
answer comes back as Anthropic sent it (`gateway/native.py`); only its id and model are the gateway's, as on a
translated call: the Message's id names its record, and the model is the one the client asked for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from rungway.capability import CallContext, CallKey, NativeEvent, StreamTranslation
from rungway.domain.usage import prompt_tokens
from rungway.errors import RungwayError
from rungway.messages.answer import message_body
from rungway.messages.errors import error_response
from rungway.messages.request import to_chat_body
from rungway.messages.stream import MessagesStream

__all__ = ["MESSAGE", "MessagesCall", "MessagesDialect"]


@dataclass(frozen=True, slots=True)
class MessagesCall:
    """What the answer needs from the request: the model the client asked for (the chat body's `model`
    becomes the upstream's id once routed) and the Message id (the call's id, so a Message finds its record)."""

    model: str
    message_id: str
    request: dict[str, Any] | None = None  # the request as the client sent it, for a native call
    native_only: tuple[str, ...] = ()  # what in it only Anthropic serves (`to_chat_body`'s `native_only`)


MESSAGE = CallKey[MessagesCall]("messages.call")


def _call(ctx: CallContext) -> MessagesCall:
    return ctx.slots.get(MESSAGE) or MessagesCall(ctx.model_requested or "", "msg_" + ctx.id.removeprefix("req_"))


class MessagesDialect:
    """`POST /v1/messages` in Anthropic's shape over the chat pipeline (`gateway/dialect.py`'s `Dialect`)."""

    name = "messages"
    paths = ("/v1/messages",)
    native_api = "messages"

    async def to_chat(self, ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
        request = dict(body)  # the chat body is built from it; this copy stays as the client sent it
        native_only: list[str] = []
        chat = to_chat_body(body, native_only=native_only)
        message_id = "msg_" + ctx.id.removeprefix("req_")
        ctx.slots[MESSAGE] = MessagesCall(chat["model"], message_id, request, tuple(native_only))
        return chat

    def native_required(self, ctx: CallContext) -> str | None:
        call = ctx.slots.get(MESSAGE)
        return ", ".join(call.native_only[:3]) if call is not None and call.native_only else None

    def native_body(self, ctx: CallContext) -> dict[str, Any] | None:
        call = ctx.slots.get(MESSAGE)
        return None if call is None else call.request

    def native_answer(self, ctx: CallContext, data: dict[str, Any]) -> bytes:
        call = _call(ctx)
        return orjson.dumps({**data, "id": call.message_id, "model": call.model})

    def native_event(self, ctx: CallContext, event: NativeEvent) -> bytes:
        name = (event.name or "").encode()
        if event.name == "message_start" and isinstance(event.data.get("message"), dict):
            call = _call(ctx)
            message = {**event.data["message"], "id": call.message_id, "model": call.model}
            return b"event: message_start\ndata: " + orjson.dumps({**event.data, "message": message}) + b"\n\n"
        if not name:
            return b"data: " + event.raw + b"\n\n"
        return b"event: " + name + b"\ndata: " + event.raw + b"\n\n"

    def from_chat(self, ctx: CallContext, completion: dict[str, Any]) -> bytes:
        call = _call(ctx)
        return message_body(call.message_id, call.model, completion, ctx.usage)

    def open_stream(self, ctx: CallContext) -> StreamTranslation:
        call = _call(ctx)
        return MessagesStream(call.message_id, call.model, ctx.estimated_input_tokens or prompt_tokens(ctx.body))

    def error_response(self, error: RungwayError) -> web.Response:
        return error_response(error)
