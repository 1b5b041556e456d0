"""The gateway request as one readable pipeline of small steps.

    chat completions:  authenticate -> read body -> [extensions: expand body (a prompt reference)]
                       -> check body -> attribute -> resolve route
                       -> rate limits + budget holds (one counters call)
                       -> [extensions: input guard, cache, ...]
                       -> call upstream (the plan's tries, JSON or SSE) -> the answer is finished
                       -> meter cost -> settle token limits + budget holds (one counters call)
                       -> [extensions: llm span, ...] -> record
The `after` steps always run, success or failure, so every call is recorded. A `before` step
may answer early by setting `ctx.response` (a cache hit); later capabilities add steps through
`PipelineExtension` instead of editing this file. An `expand_body` step may rewrite the chat body
after it is read and before it is checked (it knows the key, not yet the model or the route); when
no capability adds one, reading and checking stay one step (`parse_chat_body`), as cheap as before.
A `Dialect` (`gateway/dialect.py`: Anthropic Messages, OpenAI Responses, legacy completions) gets the
same steps: its request is read into a chat body before the checks, and its answer and errors are
written in its own shape (`build_dialect_pipeline`). Embeddings and moderations run the same steps with
their own body check and call step (`upstream.py`, `moderations.py`), as calls that are not chat.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from aiohttp import web

from rungway.domain.ids import new_id
from rungway.errors import RungwayError
from rungway.gateway.attribution import attribute
from rungway.gateway.auth import authenticate
from rungway.gateway.body import (
    check_read_chat_body,
    parse_chat_body,
    parse_embeddings_body,
    parse_moderations_body,
    read_chat_body,
    read_json_object,
)
from rungway.gateway.context import CALL, CallContext
from rungway.gateway.dialect import Dialect
from rungway.gateway.limits import enforce_rate_limits, settle_token_limits
from rungway.gateway.meter import meter_cost
from rungway.gateway.moderations import call_moderations
from rungway.gateway.record import record_call
from rungway.gateway.responses import error_response, internal_error_response
from rungway.gateway.route import resolve_route
from rungway.gateway.state import GatewayState
from rungway.gateway.upstream import call_chat, call_embeddings, dialect_call

log = logging.getLogger("rungway.gateway")

Step = Callable[[GatewayState, CallContext], Awaitable[None]]
Call = Callable[[GatewayState, CallContext], Awaitable[web.StreamResponse]]
ErrorShape = Callable[[RungwayError], web.Response]


@dataclass(frozen=True)
class PipelineExtension:
    """Steps a capability adds: before the upstream call, and after it (before the record).

    `expand_body` steps (chat completions only) run after authentication, between reading the JSON
    body into `ctx.body` and checking it, so they may supply or rewrite fields the check requires
    (a prompt reference supplies `model` and `messages`); they must leave a body the check accepts
    or raise a `RungwayError` naming the field."""

    name: str
    expand_body: Sequence[Step] = ()
    before_call: Sequence[Step] = ()
    after_call: Sequence[Step] = ()
    last: bool = False  # its before-call steps run after every other extension's (a cache answers what they let by)


@dataclass(frozen=True)
class Pipeline:
    """Ordered steps for one endpoint; `errors` writes an error in the endpoint's API shape."""

    endpoint: str
    before: Sequence[Step]
    call: Call
    after: Sequence[Step] = field(default_factory=tuple)
    errors: ErrorShape = error_response
    chat: bool = True  # the calls are chat-shaped (`CallContext.chat`)

    async def handle(self, state: GatewayState, request: web.Request) -> web.StreamResponse:
        ctx = CallContext(request=request, endpoint=self.endpoint, id=new_id("req_"), chat=self.chat)
        request[CALL] = ctx  # every answer, errors included, carries ctx.id as x-request-id
        response: web.StreamResponse | None = None
        state.in_flight += 1
        try:
            response = await self._answer(state, ctx)
            # The client has its answer; accounting runs after it, off the caller's latency. A graceful
            # shutdown waits for handlers, so every answered call is still recorded before the drain.
            await self._send(ctx, response)
            for step in self.after:
                try:
                    await step(state, ctx)
                except Exception:
                    log.exception("after-step %s failed", getattr(step, "__name__", step))
        finally:
            state.in_flight -= 1
        return response

    async def _answer(self, state: GatewayState, ctx: CallContext) -> web.StreamResponse:
        try:
            for step in self.before:
                await step(state, ctx)
                if ctx.response is not None:
                    break
            return ctx.response or await self.call(state, ctx)
        except RungwayError as error:
            ctx.fail(error)
            return ctx.response if ctx.response is not None and ctx.response.prepared else self.errors(error)
        except Exception:
            log.exception("unhandled error in %s", self.endpoint)
            ctx.status = 500
            if self.errors is error_response:
                return internal_error_response()
            return self.errors(RungwayError("The gateway hit an internal error; it has been logged."))

    @staticmethod
    async def _send(ctx: CallContext, response: web.StreamResponse) -> None:
        """Finish the answer now (aiohttp would after the handler returns; ending it twice is a no-op)."""
        try:
            if ctx.finish is not None:
                await ctx.finish()
            elif not response.prepared:
                await response.prepare(ctx.request)
                await response.write_eof()
        except ConnectionError:
            ctx.client_closed = True


def _ordered(extensions: Sequence[PipelineExtension]) -> list[PipelineExtension]:
    """Install order, with the extensions that ask to come `last` after the others (stable)."""
    return sorted(extensions, key=lambda e: e.last)


def build_pipelines(extensions: Sequence[PipelineExtension] = ()) -> dict[str, Pipeline]:
    """The core's endpoints: chat completions, embeddings and moderations."""
    extensions = _ordered(extensions)
    expand = [s for e in extensions for s in e.expand_body]
    # Without an expansion, reading and checking stay one step: no extra await on the common path.
    chat_body: list[Step] = [read_chat_body, *expand, check_read_chat_body] if expand else [parse_chat_body]
    extra_before = [s for e in extensions for s in e.before_call]
    extra_after = [s for e in extensions for s in e.after_call]
    return {
        "chat.completions": Pipeline(
            "chat.completions",
            before=[
                authenticate,
                *chat_body,
                attribute,
                resolve_route,
                enforce_rate_limits,
                *extra_before,
            ],
            call=call_chat,
            after=[meter_cost, settle_token_limits, *extra_after, record_call],
        ),
        "embeddings": Pipeline(
            "embeddings",
            before=[
                authenticate,
                parse_embeddings_body,
                parse_moderations_body,
                attribute,
                resolve_route,
                enforce_rate_limits,
                *extra_before,
            ],
            call=call_embeddings,
            after=[meter_cost, settle_token_limits, *extra_after, record_call],
            chat=False,
        ),
        "moderations": Pipeline(
            "moderations",
            before=[
                authenticate,
                parse_moderations_body,
                attribute,
                resolve_route,
                enforce_rate_limits,
                *extra_before,
            ],
            call=call_moderations,
            after=[meter_cost, settle_token_limits, *extra_after, record_call],
            chat=False,
        ),
    }


def build_dialect_pipeline(dialect: Dialect, extensions: Sequence[PipelineExtension] = ()) -> Pipeline:
    """The chat pipeline for a dialect: its request read into a chat body before the same checks, the same
    steps, and its answer and errors written in its own shape."""

    async def read_dialect_body(state: GatewayState, ctx: CallContext) -> None:
        raw = await read_json_object(ctx.request, state.config.server.max_body_bytes)
        ctx.body = await dialect.to_chat(ctx, raw)

    extensions = _ordered(extensions)
    expand = [s for e in extensions for s in e.expand_body]
    return Pipeline(
        dialect.name,
        before=[
            authenticate,
            read_dialect_body,
            *expand,
            check_read_chat_body,
            attribute,
            resolve_route,
            enforce_rate_limits,
            *(s for e in extensions for s in e.before_call),
        ],
        call=dialect_call(dialect),
        after=[meter_cost, settle_token_limits, *(s for e in extensions for s in e.after_call), record_call],
        errors=dialect.error_response,
    )
