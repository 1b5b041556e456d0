"""The Responses dialect: what the chat pipeline calls to read a Responses request and write its answer."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from rungway.capability import CallContext, CallKey, StreamTranslation
from rungway.errors import NotFound, RungwayError
from rungway.gateway.responses import error_response
from rungway.responses.answer import output_items, response_object, status_of
from rungway.responses.model import StoredResponse, item_response_id
from rungway.responses.request import ParsedRequest, chat_body, parse_request
from rungway.responses.runtime import ResponsesRuntime
from rungway.responses.stream import ResponsesStream

__all__ = ["RESPONSE", "ResponseNotFound", "ResponsesCall", "ResponsesDialect"]


class ResponseNotFound(NotFound):
    """A response or item this workload cannot see (missing, expired, deleted, or another workload's)."""

    error_type = "invalid_request_error"


@dataclass(slots=True)
class ResponsesCall:
    """What the answer needs from the request: ids, the echoed fields, and the conversation to store."""

    response_id: str
    base: str
    workload: str
    created_at: float
    parsed: ParsedRequest
    input_items: list[dict[str, Any]] = field(default_factory=list)
    depth: int = 1


RESPONSE = CallKey[ResponsesCall]("responses.call")


class ResponsesDialect:
    """`POST /v1/responses` in OpenAI's Responses shape over the chat pipeline (`gateway/dialect.py`)."""

    name = "responses"
    paths = ("/v1/responses", "/responses")

    def __init__(self, runtime: ResponsesRuntime) -> None:
        self.runtime = runtime

    async def to_chat(self, ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
        base = ctx.id.removeprefix("req_")
        parsed = parse_request(body, base, self.runtime.config.max_items)
        workload = ctx.key.workload if ctx.key is not None else ""
        history: list[dict[str, Any]] = []
        depth = 1
        if parsed.previous_response_id is not None:
            previous = await self.runtime.find(workload, parsed.previous_response_id)
            if previous is None:
                raise ResponseNotFound(
                    f"Previous response with id '{parsed.previous_response_id}' not found.",
                    param="previous_response_id",
                    code="previous_response_not_found",
                )
            self.runtime.check_chain(previous, len(parsed.items))
            history = [*previous.input_items, *previous.output_items]
            depth = previous.depth + 1
        items = [await self._resolve(workload, item, i) for i, item in enumerate(parsed.items)]
        ctx.slots[RESPONSE] = ResponsesCall(
            "resp_" + base, base, workload, time.time(), parsed, [*history, *items], depth
        )
        return chat_body(parsed, [*history, *items])

    async def _resolve(self, workload: str, item: dict[str, Any], index: int) -> dict[str, Any]:
        if item["type"] != "item_reference":
            return item
        owner = item_response_id(item["id"])
        stored = await self.runtime.find(workload, owner) if owner is not None else None
        found = stored.item(item["id"]) if stored is not None else None
        if found is None or found["type"] == "item_reference":
            raise ResponseNotFound(
                f"Item with id '{item['id']}' not found.", param=f"input[{index}].id", code="item_not_found"
            )
        return found

    def from_chat(self, ctx: CallContext, completion: dict[str, Any]) -> bytes:
        call = ctx.slots[RESPONSE]
        choices = completion.get("choices") or [{}]
        choice = choices[0] if isinstance(choices[0], dict) else {}
        output = output_items(call.base, choice.get("message") or {})
        response = response_object(
            call.response_id,
            call.created_at,
            call.parsed.model,
            call.parsed.echo,
            output,
            status=status_of(choice.get("finish_reason")),
            usage=ctx.usage,
            store=call.parsed.store,
        )
        self._keep(call, response)
        return orjson.dumps(response)

    def open_stream(self, ctx: CallContext) -> StreamTranslation:
        call = ctx.slots[RESPONSE]
        return ResponsesStream(
            call.response_id,
            call.base,
            call.created_at,
            call.parsed.model,
            call.parsed.echo,
            call.parsed.store,
            lambda response: self._keep(call, response),
        )

    def _keep(self, call: ResponsesCall, response: dict[str, Any]) -> None:
        if call.parsed.store:
            stored = StoredResponse(
                call.response_id, call.workload, call.created_at, call.input_items, response, call.depth
            )
            self.runtime.keep(stored)

    def error_response(self, error: RungwayError) -> web.Response:
        return error_response(error)
