"""The provider interface: what the gateway asks of any upstream.

Requests and answers are in the OpenAI wire format (the gateway's public surface); an adapter
for another API (Anthropic) translates both ways. Adapters raise `UpstreamError` /
`UpstreamTimeout` for transport failures and 5xx, and `UpstreamRejected` for the upstream's 4xx.

Moderation is an optional capability, not part of `Provider`: a provider that can moderate also has a
`moderate` method (the `Moderator` protocol), and the gateway asks `moderator_of(provider)`; a third-party
provider written before moderations existed keeps working unchanged.

Speaking another API natively is optional in the same way (`NativeSpeaker`, `native_of(provider, api)`): an
adapter whose upstream serves, say, Anthropic's Messages API takes a `/v1/messages` request as the client sent
it and answers with the upstream's own bytes, each answer also read as a chat completion (or chunks) so that
metering, the guards, the span and the record see what they see for any chat call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from rungway.domain.usage import Usage

__all__ = [
    "ChatCall",
    "ChatResult",
    "EmbedCall",
    "EmbedResult",
    "ModerateCall",
    "ModerateResult",
    "Moderator",
    "NativeCall",
    "NativeEvent",
    "NativeResult",
    "NativeSpeaker",
    "Provider",
    "StreamChunk",
    "moderator_of",
    "native_of",
]


@dataclass(slots=True)
class ChatCall:
    """One chat completion request, already routed: `body["model"]` is the upstream model id."""

    body: dict[str, Any]
    stream: bool = False
    timeout_s: float = 600.0
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ChatResult:
    """A non-streaming answer: the OpenAI-format JSON bytes for the client, parsed data and usage."""

    body: bytes
    data: dict[str, Any]
    usage: Usage | None


@dataclass(slots=True)
class StreamChunk:
    """One `chat.completion.chunk`. `raw` holds its exact JSON bytes when the adapter has them."""

    data: dict[str, Any]
    raw: bytes | None = None
    usage: Usage | None = None


@dataclass(slots=True)
class EmbedCall:
    """An embeddings request, already routed."""

    body: dict[str, Any]
    timeout_s: float = 600.0
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class EmbedResult:
    body: bytes
    data: dict[str, Any]
    usage: Usage | None


@runtime_checkable
class Provider(Protocol):
    """An upstream LLM API. One instance per configured provider, shared by all requests."""

    name: str
    account: str

    async def start(self) -> None:
        """Open pooled connections; called once when the server starts."""

    async def close(self) -> None:
        """Release connections; called once on shutdown."""

    async def chat(self, call: ChatCall) -> ChatResult:
        """A non-streaming chat completion."""
        ...

    def chat_stream(self, call: ChatCall) -> AsyncIterator[StreamChunk]:
        """A streaming chat completion. The adapter always asks the upstream for usage; the last
        chunk carrying it sets `StreamChunk.usage`."""
        ...

    async def embed(self, call: EmbedCall) -> EmbedResult:
        """Embeddings."""
        ...


@dataclass(slots=True)
class ModerateCall:
    """A moderations request (OpenAI's `/moderations` body), already routed: `body["model"]` is the upstream's."""

    body: dict[str, Any]
    timeout_s: float = 600.0
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ModerateResult:
    """The OpenAI-format moderation JSON bytes for the client, and the parsed object."""

    body: bytes
    data: dict[str, Any]


@runtime_checkable
class Moderator(Protocol):
    """A provider that can also classify content (OpenAI's moderations API)."""

    async def moderate(self, call: ModerateCall) -> ModerateResult:
        """Moderation results, one per input, in OpenAI's shape."""
        ...


def moderator_of(provider: object) -> Moderator | None:
    """The provider as a `Moderator` when it can moderate, else None."""
    return provider if isinstance(provider, Moderator) else None


@dataclass(slots=True)
class NativeCall:
    """A request in another API's own shape (`api`: "messages"), already routed: `body["model"]` is the
    upstream's id. `headers` are the gateway's (traceparent) and the client's API headers worth passing on."""

    api: str
    body: dict[str, Any]
    stream: bool = False
    timeout_s: float = 600.0
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class NativeResult:
    """A JSON answer as the upstream sent it (`data`, parsed), the same answer as a chat completion (`chat`,
    what guards, spans and records read) and its usage."""

    data: dict[str, Any]
    chat: dict[str, Any]
    usage: Usage | None


@dataclass(slots=True)
class NativeEvent:
    """One streamed event as the upstream sent it (`name`, its `data` bytes and parsed object) and the chat
    chunks it stands for (often none; the last one carries the call's usage)."""

    name: str | None
    raw: bytes
    data: dict[str, Any]
    chunks: list[StreamChunk]


@runtime_checkable
class NativeSpeaker(Protocol):
    """A provider whose upstream also serves other APIs than chat completions, in their own shapes."""

    native_apis: frozenset[str]

    async def native(self, call: NativeCall) -> NativeResult:
        """A JSON call in `call.api`'s shape."""
        ...

    def native_stream(self, call: NativeCall) -> AsyncIterator[NativeEvent]:
        """A streamed call in `call.api`'s shape, event by event; an error event the upstream sends is raised."""
        ...


def native_of(provider: object, api: str) -> NativeSpeaker | None:
    """The provider as a `NativeSpeaker` of `api`, or None when it serves that API only through chat."""
    if isinstance(provider, NativeSpeaker) and api in provider.native_apis:
        return provider
    return None
