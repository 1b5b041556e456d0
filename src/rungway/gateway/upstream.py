"""Step: call the provider and answer the client (JSON, or SSE relayed chunk by chunk).

The tries themselves (which deployment, retries, deadlines, failover) are `gateway/attempts.py`'s."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from rungway.domain.usage import Usage, prompt_tokens
from rungway.errors import RungwayError
from rungway.gateway.attempts import end_stream, open_stream, try_plan
from rungway.gateway.context import CallContext
from rungway.gateway.dialect import Dialect, NativeDialect, StreamTranslation
from rungway.gateway.native import NativeOpened, call_json, native_request, open_native_or_chat, relay_native
from rungway.gateway.output_guard import GuardedStream, guard_completion
from rungway.gateway.replay import replay_json, replay_stream, use_replay
from rungway.gateway.responses import SSE_DONE, answer_headers, raw_json_response, sse_event
from rungway.gateway.sse_writer import SseWriter
from rungway.gateway.state import GatewayState
from rungway.gateway.stream_output import StreamOutput
from rungway.providers.base import ChatCall, ChatResult, EmbedCall, EmbedResult, StreamChunk

log = logging.getLogger("rungway.gateway.upstream")


def upstream_headers(ctx: CallContext) -> dict[str, str]:
    """Headers the provider sees: our span as the parent, and simulator controls for drills and tests."""
    headers = {"traceparent": f"00-{ctx.trace_id}-{ctx.span_id}-01"}
    for name, value in ctx.request.headers.items():
        if name.lower().startswith("x-simulator-"):
            headers[name.lower()] = value
    return headers


async def call_chat(state: GatewayState, ctx: CallContext) -> web.StreamResponse:
    headers = upstream_headers(ctx)
    if ctx.stream:
        return await _relay_stream(state, ctx, ChatCall(ctx.body, stream=True, headers=headers), None)
    _data, body = await _completion(state, ctx, headers)
    return raw_json_response(body, headers=answer_headers(ctx))


def dialect_call(dialect: Dialect) -> Callable[[GatewayState, CallContext], Awaitable[web.StreamResponse]]:
    """The upstream step of a dialect's pipeline: the chat call, its answer written in the dialect's shape."""

    speaks = dialect if isinstance(dialect, NativeDialect) else None

    async def call(state: GatewayState, ctx: CallContext) -> web.StreamResponse:
        headers = upstream_headers(ctx)
        native = native_request(state, ctx, speaks, headers) if speaks is not None and ctx.replay is None else None
        if native is not None and ctx.stream:
            opened = await open_native_or_chat(state, ctx, native)
            if isinstance(opened, NativeOpened):
                return await relay_native(state, ctx, native, opened)
            return await _relay_stream(state, ctx, None, dialect, (opened.chunks, opened.first))
        if native is not None:
            return await call_json(state, ctx, native)
        if ctx.stream:
            return await _relay_stream(state, ctx, ChatCall(ctx.body, stream=True, headers=headers), dialect)
        data, _body = await _completion(state, ctx, headers)
        return raw_json_response(dialect.from_chat(ctx, data), headers=answer_headers(ctx))

    return call


async def _completion(state: GatewayState, ctx: CallContext, headers: dict[str, str]) -> tuple[dict[str, Any], bytes]:
    """A JSON chat completion through the plan's tries and the output guard: (the client's data, its bytes);
    `ctx.output` keeps the recorded one."""

    def send(timeout: float | None) -> Awaitable[ChatResult]:
        assert ctx.provider is not None
        if timeout is None:  # the provider's own deadline (its `timeout_s` option)
            return ctx.provider.chat(ChatCall(ctx.body, headers=headers))
        return ctx.provider.chat(ChatCall(ctx.body, headers=headers, timeout_s=timeout))

    result = replay_json(use_replay(ctx)) if ctx.replay is not None else await try_plan(state, ctx, send)
    ctx.usage = result.usage
    body = result.body
    data = result.data
    if state.output_guard is not None:  # a blocked answer raises here and is never recorded
        body = await guard_completion(state.output_guard, ctx, result.data, body)
        if body is not result.body:  # rewritten for the client (redacted); `result.data` keeps the recorded text
            data = orjson.loads(body)
    ctx.output = result.data
    return data, body


async def call_embeddings(state: GatewayState, ctx: CallContext) -> web.StreamResponse:
    headers = upstream_headers(ctx)

    def send(timeout: float | None) -> Awaitable[EmbedResult]:
        assert ctx.provider is not None
        if timeout is None:
            return ctx.provider.embed(EmbedCall(ctx.body, headers=headers))
        return ctx.provider.embed(EmbedCall(ctx.body, headers=headers, timeout_s=timeout))

    result = await try_plan(state, ctx, send)
    ctx.usage = result.usage
    return raw_json_response(result.body, headers=answer_headers(ctx))


async def _relay_stream(
    state: GatewayState,
    ctx: CallContext,
    call: ChatCall | None,
    dialect: Dialect | None,
    opened: tuple[AsyncIterator[StreamChunk], StreamChunk] | None = None,
) -> web.StreamResponse:
    """Relay the stream of the first deployment that sent a chunk; after that chunk it cannot fail over.
    With a dialect, each chunk is written as the dialect's events instead of as it came. `opened`: a stream
    whose first chunk came already (a native-capable call that went to a chat deployment)."""
    started = time.perf_counter()
    if ctx.replay is not None:
        opened = replay_stream(use_replay(ctx))
    elif opened is None:
        assert call is not None
        opened = await open_stream(state, ctx, call)
    chunks, first = opened
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **answer_headers(ctx)}
    )
    ctx.response = response
    output = StreamOutput()
    # Events are written when the next one is not already here (one write per upstream read).
    writer = SseWriter(response)
    guarded = GuardedStream(state.output_guard, ctx) if state.output_guard is not None else None
    translation: StreamTranslation | None = dialect.open_stream(ctx) if dialect is not None else None
    chunk: Any = first
    try:
        await response.prepare(ctx.request)  # in the try: a client gone before the first chunk is a cut stream too
        while True:
            data = chunk.data
            if chunk.usage is not None:
                ctx.usage = chunk.usage
            choices = data.get("choices")
            raw = chunk.raw
            rewritten = None
            if guarded is not None and choices and not guarded.disabled:
                rewritten = guarded.chunk(choices, data)  # the client's text; `data` keeps the recorded text
                raw = rewritten or raw
            if translation is not None:  # the dialect's events in place of the chunk
                for event in translation.chunk(orjson.loads(rewritten) if rewritten is not None else data):
                    writer.add(event)
            if choices:
                if ctx.ttft_ms is None and output.add(choices):
                    ctx.ttft_ms = ctx.elapsed_ms()
                elif ctx.ttft_ms is not None:
                    output.add(choices)
            if translation is None and (choices or ctx.client_wants_usage):
                writer.add(sse_event(raw if raw is not None else orjson.dumps(data)))
            try:
                chunk = await writer.next_chunk(chunks)
            except StopAsyncIteration:
                break
        tail = guarded.tails(first.data) if guarded is not None else None
        if tail is not None:  # a stream cut before its finish reason: what the guard still held
            if translation is not None:
                for event in translation.chunk(orjson.loads(tail[0])):
                    writer.add(event)
            else:
                writer.add(sse_event(tail[0]))
            output.add(tail[1]["choices"])
        await writer.flush()
    except RungwayError as error:
        ctx.fail(error)
        await _flush_quietly(writer)
        await _write_stream_error(response, error, translation)
    except (ConnectionResetError, ConnectionError):
        ctx.status = 499
        ctx.client_closed = True
    finally:
        ctx.upstream_ms = (time.perf_counter() - started) * 1000
        if ctx.usage is None:
            ctx.usage = _cut_stream_usage(ctx, output)
        ctx.output = output.as_completion(first.data, ctx.usage)
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()
        end_stream(state, ctx)
    if ctx.status != 499:

        async def finish() -> None:
            # The pipeline ends the stream before its accounting steps run.
            try:
                if ctx.error is None:
                    await response.write(SSE_DONE if translation is None else b"".join(translation.end(ctx.usage)))
                await response.write_eof()
            except ConnectionError:
                log.debug("client went away before the end of the stream")

        ctx.finish = finish
    return response


def _cut_stream_usage(ctx: CallContext, output: StreamOutput) -> Usage:
    """The usage of a stream that ended before the upstream's usage chunk (the client hung up, the upstream
    died, the gateway stopped): the upstream read the whole prompt and generated at least what was relayed,
    so the call is priced from the estimated prompt and the output counted on the way through."""
    return Usage(input=ctx.estimated_input_tokens or prompt_tokens(ctx.body), output=output.relayed_output_tokens())


async def _flush_quietly(writer: SseWriter) -> None:
    """Send the events that came before an upstream failure, unless the client has gone."""
    try:
        await writer.flush()
    except ConnectionError:
        log.debug("client went away before the stream error could be sent")


async def _write_stream_error(
    response: web.StreamResponse, error: RungwayError, translation: StreamTranslation | None
) -> None:
    try:
        await response.write(sse_event(orjson.dumps(error.body())) if translation is None else translation.error(error))
    except ConnectionError:
        log.debug("client went away before the stream error could be sent")
