"""The door for the other API shapes the gateway serves over its chat pipeline.

The Anthropic Messages API, the OpenAI Responses API and legacy completions are each a `Dialect`: it reads
its own request into a chat-completions body before the chat checks run, and writes the chat answer (the
JSON, or each streamed chunk) back in its own shape, errors included. Between the two, every step of the chat
pipeline runs unchanged (authentication, prompt expansion, limits and budgets, routing and failover,
guardrails, metering, the span and the record), so a dialect adds translation and nothing else. A capability
supplies dialects through `Installed.dialects`; the server mounts each one's POST paths
(`gateway/pipeline.py`'s `build_dialect_pipeline`). What a dialect keeps between reading the request and
writing the answer (the model name the client asked for, a conversation to store) goes in `ctx.slots`
under its own `CallKey`.

A `NativeDialect` may also be sent as the client wrote it to a deployment whose provider serves its API
(`providers/base.py`'s `NativeSpeaker`, e.g. /v1/messages to Anthropic): nothing is lost in translation, and
the upstream's answer is read as chat only for the records (`gateway/native.py` says when a call goes native).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from aiohttp import web

from rungway.domain.usage import Usage
from rungway.errors import RungwayError
from rungway.gateway.context import CallContext
from rungway.providers.base import NativeEvent

__all__ = ["Dialect", "NativeDialect", "StreamTranslation"]


class StreamTranslation(Protocol):
    """One streamed answer in a dialect's event shape: fed the chat chunks as they come, in order."""

    def chunk(self, data: dict[str, Any]) -> Sequence[bytes]:
        """The whole SSE events (`event: ...\\ndata: ...\\n\\n`) one `chat.completion.chunk` becomes (often none:
        a dialect may hold text until it can say more). Called for every chunk, usage-only ones included."""
        ...

    def end(self, usage: Usage | None) -> Sequence[bytes]:
        """The closing events, once the upstream's stream has ended (`usage`: the call's, when known)."""
        ...

    def error(self, error: RungwayError) -> bytes:
        """The event that tells the client its stream failed after it began (the dialect's error event)."""
        ...


class Dialect(Protocol):
    """An API shape served over the chat pipeline (see the module docstring)."""

    @property
    def name(self) -> str:
        """The endpoint as recorded, metered and counted: "messages", "responses", "completions"."""
        ...

    @property
    def paths(self) -> Sequence[str]:
        """The POST routes it answers, e.g. ("/v1/messages",)."""
        ...

    async def to_chat(self, ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
        """The request (its parsed JSON object) as a chat-completions body; raises a `ClientError` naming the
        field for a request this API would refuse. The chat checks run on the result. Awaitable so that a
        dialect may read state it keeps (a stored conversation), from memory first: never the store on the
        common path."""
        ...

    def from_chat(self, ctx: CallContext, completion: dict[str, Any]) -> bytes:
        """A JSON chat completion (after the output guard) as this API's answer body."""
        ...

    def open_stream(self, ctx: CallContext) -> StreamTranslation:
        """The translation of one streamed answer (called once the upstream's first chunk has arrived)."""
        ...

    def error_response(self, error: RungwayError) -> web.Response:
        """An error before the answer began, in this API's error shape and with the error's status and headers."""
        ...


@runtime_checkable
class NativeDialect(Dialect, Protocol):
    """A dialect whose requests a provider may take as they are (see the module docstring)."""

    @property
    def native_api(self) -> str:
        """The API a provider must speak to take the request as it is (`NativeSpeaker.native_apis`)."""
        ...

    def native_body(self, ctx: CallContext) -> dict[str, Any] | None:
        """The request as the client sent it (the upstream's model id is set per try), or None when this call
        cannot go as it is."""
        ...

    def native_required(self, ctx: CallContext) -> str | None:
        """What in the request only a deployment that speaks the API can serve (e.g. `tools.0.type
        'web_search_20250305'`), or None when a translated call says everything the client asked."""
        ...

    def native_answer(self, ctx: CallContext, data: dict[str, Any]) -> bytes:
        """The upstream's JSON answer as the client gets it (the dialect's ids and the model asked for)."""
        ...

    def native_event(self, ctx: CallContext, event: NativeEvent) -> bytes:
        """One upstream event as the client gets it: the whole SSE event (`event: ...\ndata: ...\n\n`)."""
        ...
