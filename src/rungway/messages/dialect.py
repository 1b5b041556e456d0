"""The Messages dialect: what the chat pipeline calls to read a Messages request and write its answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from rungway.capability import CallContext, CallKey, StreamTranslation
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


MESSAGE = CallKey[MessagesCall]("messages.call")


def _call(ctx: CallContext) -> MessagesCall:
    return ctx.slots.get(MESSAGE) or MessagesCall(ctx.model_requested or "", "msg_" + ctx.id.removeprefix("req_"))


class MessagesDialect:
    """`POST /v1/messages` in Anthropic's shape over the chat pipeline (`gateway/dialect.py`'s `Dialect`)."""

    name = "messages"
    paths = ("/v1/messages",)

    async def to_chat(self, ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
        chat = to_chat_body(body)
        ctx.slots[MESSAGE] = MessagesCall(chat["model"], "msg_" + ctx.id.removeprefix("req_"))
        return chat

    def from_chat(self, ctx: CallContext, completion: dict[str, Any]) -> bytes:
        call = _call(ctx)
        return message_body(call.message_id, call.model, completion, ctx.usage)

    def open_stream(self, ctx: CallContext) -> StreamTranslation:
        call = _call(ctx)
        return MessagesStream(call.message_id, call.model, ctx.estimated_input_tokens or prompt_tokens(ctx.body))

    def error_response(self, error: RungwayError) -> web.Response:
        return error_response(error)
