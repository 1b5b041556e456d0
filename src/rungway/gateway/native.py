"""Step: a dialect's call sent as the client wrote it to a deployment whose provider speaks its API.

A `/v1/messages` call routed to Anthropic goes to Anthropic as it came (thinking, cache control, citations,
every block and event the chat format has no word for), and its answer comes back as Anthropic sent it. The
decision is made per try: a plan that fails over from Anthropic to an OpenAI-compatible deployment sends the
translated chat call there, as for any dialect. The upstream's answer is also read as a chat completion (the
adapter does it), so metering, the output guard, the span and the record see what they see for any chat call.

A call goes native only when nothing the pipeline did has to reach the upstream through the chat body
(`native_request`): a prompt from the library was expanded into it, or the input guard redacted it; and a
stream goes native only when no output guard checks this call's stream (it would have to hold back and
rewrite text). Otherwise the call is translated, with the same answer shape for the client. A request that
uses what only the API's own upstream serves (`NativeDialect.native_required`: an Anthropic server tool, a
document block) is refused with a 400 naming it where it cannot go native, never sent with parts left out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from rungway.domain.usage import Usage, prompt_tokens
from rungway.errors import InvalidRequest, RungwayError, UpstreamError
from rungway.gateway.attempts import end_stream, try_plan
from rungway.gateway.context import CallContext
from rungway.gateway.dialect import NativeDialect
from rungway.gateway.output_guard import guard_completion
from rungway.gateway.responses import answer_headers, raw_json_response
from rungway.gateway.sse_writer import SseWriter
from rungway.gateway.state import GatewayState
from rungway.gateway.stream_output import StreamOutput
from rungway.providers.base import ChatCall, ChatResult, NativeCall, NativeEvent, NativeResult, StreamChunk, native_of

__all__ = [
    "ChatOpened",
    "NativeOpened",
    "NativeRequest",
    "call_json",
    "native_request",
    "open_native_or_chat",
    "relay_native",
]

log = logging.getLogger("rungway.gateway.native")

FORWARDED_HEADERS = ("anthropic-beta",)
"""The client's API headers a native call passes on (features the upstream must be told about)."""


@dataclass(frozen=True, slots=True)
class NativeRequest:
    """A call that may go native: the dialect, its API and the request as the client sent it."""

    dialect: NativeDialect
    api: str
    body: dict[str, Any]
    headers: dict[str, str]
    required: str | None  # what only a deployment speaking `api` serves (None: any deployment will do)

    def refuse_chat(self, ctx: CallContext) -> InvalidRequest:
        """The error for a try on a deployment that does not speak the API, when only one that does may serve."""
        where = ctx.route.name if ctx.route is not None else "the route's deployment"
        return InvalidRequest(
            f"{self.required}: only a deployment whose provider serves the {self.api} API natively can take this"
            f" request, and {where} is served through chat completions; route the model to such a provider or"
            " leave these out."
        )


def native_request(
    state: GatewayState, ctx: CallContext, dialect: NativeDialect, headers: dict[str, str]
) -> NativeRequest | None:
    """The native form of this call, or None when it must be translated (see the module docstring)."""
    why = _why_translated(state, ctx)
    required = dialect.native_required(ctx)
    if why is not None:
        if required is not None:
            raise InvalidRequest(f"{required}: served only by the {dialect.native_api} API itself, and {why}.")
        return None
    body = dialect.native_body(ctx)
    if body is None:
        return None
    sent = dict(headers)
    for name in FORWARDED_HEADERS:
        value = ctx.request.headers.get(name)
        if value is not None:
            sent[name] = value[:1024]
    return NativeRequest(dialect, dialect.native_api, body, sent, required)


def _why_translated(state: GatewayState, ctx: CallContext) -> str | None:
    """Why this call must go through the chat body, or None when it may go as the client sent it."""
    if ctx.prompt_name is not None:
        return "a prompt from the library was expanded into this call"
    if any(hit.direction == "input" and hit.action == "redact" for hit in ctx.guard_hits):
        return "the input guard redacted this call"
    guard = state.output_guard
    if ctx.stream and guard is not None and guard.open_stream(ctx) is not None:
        return "the output guard checks this stream"
    return None


def _native_call(native: NativeRequest, ctx: CallContext, timeout: float | None) -> NativeCall:
    body = {**native.body, "model": ctx.body["model"]}
    if timeout is None:
        return NativeCall(native.api, body, stream=ctx.stream, headers=native.headers)
    return NativeCall(native.api, body, stream=ctx.stream, timeout_s=timeout, headers=native.headers)


async def call_json(state: GatewayState, ctx: CallContext, native: NativeRequest) -> web.StreamResponse:
    """A JSON call: native on a deployment that speaks the API, translated on any other."""

    def send(timeout: float | None) -> Awaitable[NativeResult | ChatResult]:
        provider = ctx.provider
        assert provider is not None
        speaker = native_of(provider, native.api)
        if speaker is not None:
            return speaker.native(_native_call(native, ctx, timeout))
        if native.required is not None:
            raise native.refuse_chat(ctx)
        if timeout is None:
            return provider.chat(ChatCall(ctx.body, headers=native.headers))
        return provider.chat(ChatCall(ctx.body, headers=native.headers, timeout_s=timeout))

    result = await try_plan(state, ctx, send)
    ctx.usage = result.usage
    chat = result.chat if isinstance(result, NativeResult) else result.data
    guarded = False
    if state.output_guard is not None:  # a blocked answer raises here and is never recorded
        unchanged = b""
        body = await guard_completion(state.output_guard, ctx, chat, unchanged)
        if body is not unchanged:  # rewritten (redacted): the client gets the dialect's translation of it
            guarded = True
            client = orjson.loads(body)
    ctx.output = chat
    headers = answer_headers(ctx)
    if guarded:
        return raw_json_response(native.dialect.from_chat(ctx, client), headers=headers)
    if isinstance(result, NativeResult):
        return raw_json_response(native.dialect.native_answer(ctx, result.data), headers=headers)
    return raw_json_response(native.dialect.from_chat(ctx, chat), headers=headers)


@dataclass(frozen=True, slots=True)
class NativeOpened:
    """A native stream whose first event has come."""

    events: AsyncIterator[NativeEvent]
    first: NativeEvent


@dataclass(frozen=True, slots=True)
class ChatOpened:
    """A chat stream whose first chunk has come (the try went to a deployment that does not speak the API)."""

    chunks: AsyncIterator[StreamChunk]
    first: StreamChunk


async def open_native_or_chat(
    state: GatewayState, ctx: CallContext, native: NativeRequest
) -> NativeOpened | ChatOpened:
    """A stream's first event (native) or chunk (chat) from the first deployment that sends one."""

    async def send(timeout: float | None) -> NativeOpened | ChatOpened:
        provider = ctx.provider
        assert provider is not None
        speaker = native_of(provider, native.api)
        if speaker is not None:
            events = speaker.native_stream(_native_call(native, ctx, timeout)).__aiter__()
            return NativeOpened(events, await _first(events))
        if native.required is not None:
            raise native.refuse_chat(ctx)
        chunks = provider.chat_stream(ChatCall(ctx.body, stream=True, headers=native.headers)).__aiter__()
        return ChatOpened(chunks, await _first(chunks))

    return await try_plan(state, ctx, send, keep_open=True)


async def _first(items: AsyncIterator[Any]) -> Any:
    try:
        return await items.__anext__()
    except StopAsyncIteration:
        raise UpstreamError("The upstream closed the stream without sending anything.") from None
    except BaseException:
        aclose = getattr(items, "aclose", None)
        if aclose is not None:
            await aclose()
        raise


async def relay_native(
    state: GatewayState, ctx: CallContext, native: NativeRequest, opened: NativeOpened
) -> web.StreamResponse:
    """Relay the upstream's events as they came; their chat chunks give the usage, the time to first token
    and the recorded answer."""
    started = time.perf_counter()
    dialect = native.dialect
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **answer_headers(ctx)}
    )
    ctx.response = response
    output = StreamOutput()
    writer = SseWriter(response)
    head: dict[str, Any] | None = None
    events = opened.events
    event = opened.first
    try:
        await response.prepare(ctx.request)
        while True:
            for chunk in event.chunks:
                if chunk.usage is not None:
                    ctx.usage = chunk.usage
                choices = chunk.data.get("choices")
                if choices:
                    if head is None:
                        head = chunk.data
                    if ctx.ttft_ms is None and output.add(choices):
                        ctx.ttft_ms = ctx.elapsed_ms()
                    elif ctx.ttft_ms is not None:
                        output.add(choices)
            writer.add(dialect.native_event(ctx, event))
            try:
                event = await writer.next_chunk(events)
            except StopAsyncIteration:
                break
        await writer.flush()
    except RungwayError as error:
        ctx.fail(error)
        try:
            await writer.flush()
            await response.write(dialect.open_stream(ctx).error(error))
        except ConnectionError:
            log.debug("client went away before the stream error could be sent")
    except (ConnectionResetError, ConnectionError):
        ctx.status = 499
        ctx.client_closed = True
    finally:
        ctx.upstream_ms = (time.perf_counter() - started) * 1000
        if ctx.usage is None:
            ctx.usage = Usage(
                input=ctx.estimated_input_tokens or prompt_tokens(ctx.body), output=output.relayed_output_tokens()
            )
        ctx.output = output.as_completion(head or {"id": ctx.id, "model": ctx.body.get("model")}, ctx.usage)
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
        end_stream(state, ctx)
    if ctx.status != 499:

        async def finish() -> None:
            try:
                await response.write_eof()
            except ConnectionError:
                log.debug("client went away before the end of the stream")

        ctx.finish = finish
    return response
