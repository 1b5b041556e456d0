"""`CompletionsDialect`: `/v1/completions` through the gateway's dialect door (`rungway.gateway.dialect`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from rungway.capability import CallContext, CallKey, StreamTranslation
from rungway.completions.answer import CompletionStream, text_completion
from rungway.completions.request import CompletionRequest, read_completion_request
from rungway.errors import RungwayError
from rungway.gateway.responses import error_response

__all__ = ["REQUEST", "CompletionsDialect"]

REQUEST = CallKey[CompletionRequest]("completions.request")


class CompletionsDialect:
    """OpenAI's legacy completions API: a prompt in, `text_completion` out; errors in OpenAI's shape."""

    name = "completions"
    paths = ("/v1/completions", "/completions")

    async def to_chat(self, ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
        chat, request = read_completion_request(body)
        ctx.slots[REQUEST] = request
        return chat

    def from_chat(self, ctx: CallContext, completion: dict[str, Any]) -> bytes:
        return text_completion(completion, ctx.id, ctx.slots[REQUEST].echo_prompt, ctx.model_requested)

    def open_stream(self, ctx: CallContext) -> StreamTranslation:
        return CompletionStream(ctx.id, ctx.model_requested, ctx.slots[REQUEST].echo_prompt, ctx.client_wants_usage)

    def error_response(self, error: RungwayError) -> web.Response:
        return error_response(error)
