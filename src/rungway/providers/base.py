"""The provider interface: what the gateway asks of any upstream.

Requests and answers are in the OpenAI wire format (the gateway's public surface); an adapter
for another API (Anthropic) translates both ways. Adapters raise `UpstreamError` /
`UpstreamTimeout` for transport failures and 5xx, and `UpstreamRejected` for the upstream's 4xx.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import orjson

from rungway.domain.usage import Usage
from rungway.errors import UpstreamError
from rungway.providers.stream_scan import has_choices

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


class StreamChunk:
    """One `chat.completion.chunk`. `raw` holds its exact JSON bytes when the adapter has them. An adapter
    that relays bytes may leave `data` out: it is parsed from `raw` on first use, so a chunk that only goes
    through to the client is never parsed on the relay path (usage and errors are found by a byte scan)."""

    __slots__ = ("_data", "raw", "usage")

    def __init__(
        self, data: dict[str, Any] | None = None, raw: bytes | None = None, usage: Usage | None = None
    ) -> None:
        if data is None and raw is None:
            raise ValueError("a stream chunk needs its data or its raw bytes")
        self._data = data
        self.raw = raw
        self.usage = usage

    @property
    def data(self) -> dict[str, Any]:
        data = self._data
        if data is None:
            data = self._data = _parse_chunk(self.raw or b"")
        return data

    @property
    def parsed(self) -> bool:
        """True once `data` exists (given by the adapter or parsed)."""
        return self._data is not None

    def has_choices(self) -> bool:
        """Whether the chunk carries any choice, without parsing it when it is not parsed yet."""
        if self._data is not None or self.raw is None:
            return bool(self.data.get("choices"))
        return has_choices(self.raw)

    def __repr__(self) -> str:
        return f"StreamChunk(data={self._data!r}, raw={self.raw!r}, usage={self.usage!r})"


def _parse_chunk(raw: bytes) -> dict[str, Any]:
    """A lazily parsed chunk; the adapter already parsed anything that was not a JSON object's shape."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        snippet = raw[:200].decode("utf-8", "replace")
        raise UpstreamError(f"the upstream streamed something that is not JSON: {snippet!r}") from None
    if not isinstance(data, dict):
        raise UpstreamError("the upstream streamed a chunk that is not a JSON object")
    return data


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
