"""The provider interface: what the gateway asks of any upstream.

Requests and answers are in the OpenAI wire format (the gateway's public surface); an adapter
for another API (Anthropic) translates both ways. Adapters raise `UpstreamError` /
`UpstreamTimeout` for transport failures and 5xx, and `UpstreamRejected` for the upstream's 4xx.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from rungway.domain.usage import Usage

__all__ = ["ChatCall", "ChatResult", "EmbedCall", "EmbedResult", "Provider", "StreamChunk"]


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
