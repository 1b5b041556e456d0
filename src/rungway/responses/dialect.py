"""The Responses dialect: what the chat pipeline calls to read a Responses request and write its answer.

On a deployment whose provider serves the Responses API (OpenAI's) the call goes natively (`responses/native.py`
says how the conversation and the ids stay Rungway's); elsewhere it is translated to chat completions."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from rungway.capability import CallContext, CallKey, NativeEvent, StreamTranslation
from rungway.errors import NotFound, RungwayError
from rungway.gateway.responses import error_response
from rungway.responses.answer import output_items, response_object, status_of
from rungway.responses.model import StoredResponse, item_response_id
from rungway.responses.native import NativeIds, upstream_body
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
    request: dict[str, Any] | None = None  # the request as the client sent it, for a native call
    ids: NativeIds | None = None  # a native answer's ids renamed to Rungway's (made on first use)

    def native_ids(self) -> NativeIds:
        if self.ids is None:
            parsed = self.parsed
            self.ids = NativeIds(self.response_id, self.base, parsed.model, parsed.store, parsed.previous_response_id)
        return self.ids


RESPONSE = CallKey[ResponsesCall]("responses.call")


class ResponsesDialect:
    """`POST /v1/responses` in OpenAI's Responses shape over the chat pipeline (`gateway/dialect.py`)."""

    name = "responses"
    paths = ("/v1/responses", "/responses")
    native_api = "responses"

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
            "resp_" + base, base, workload, time.time(), parsed, [*history, *items], depth, body
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

    def native_required(self, ctx: CallContext) -> str | None:
        return None  # what only the Responses API serves (built-in tools) is refused when the request is read

    def native_body(self, ctx: CallContext) -> dict[str, Any] | None:
        call = ctx.slots.get(RESPONSE)
        if call is None or call.request is None:
            return None
        return upstream_body(call.request, call.input_items)

    def native_answer(self, ctx: CallContext, data: dict[str, Any]) -> bytes:
        call = ctx.slots[RESPONSE]
        response = call.native_ids().response(data)
        self._keep(call, response)
        return orjson.dumps(response)

    def native_event(self, ctx: CallContext, event: NativeEvent) -> bytes:
        call = ctx.slots[RESPONSE]
        renamed = call.native_ids().event(event.data)
        if renamed is not None and renamed.get("type") in ("response.completed", "response.incomplete"):
            self._keep(call, renamed["response"])
        data = event.raw if renamed is None else orjson.dumps(renamed)
        name = event.name or str(event.data.get("type") or "")
        return (b"event: " + name.encode() + b"\n" if name else b"") + b"data: " + data + b"\n\n"

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
