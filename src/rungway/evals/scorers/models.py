"""The small interface model-graded scorers call: chat and embeddings through the gateway.

A judge or an embedding scorer never talks to a provider directly: its calls go through a Rungway
gateway (as the evaluated workload), so they are traced, costed and budgeted like any other call.
`ModelClient` is that door; `HttpModelClient` (scorers/http_client.py) speaks it to a gateway's
OpenAI-compatible `/v1`, and the eval runner may hand in another implementation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from rungway.errors import RungwayError
from rungway.evals.scorers.base import JsonValue

__all__ = ["ChatReply", "ChatRequest", "ModelCallError", "ModelClient"]


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A judge's chat call: messages as (role, content) pairs, a fixed seed and temperature, and the
    JSON Schema its reply must follow (sent as `response_format: json_schema`)."""

    model: str
    messages: tuple[tuple[str, str], ...]
    seed: int = 0
    temperature: float = 0.0
    json_schema: Mapping[str, JsonValue] | None = None
    max_tokens: int = 1024


@dataclass(frozen=True, slots=True)
class ChatReply:
    """The reply's text, the model that answered, and the gateway's request id (`x-request-id`)."""

    text: str
    model: str
    request_id: str | None = None


class ModelCallError(RungwayError):
    """A model call a scorer made failed (the gateway refused it, the upstream failed, the reply was
    malformed): the scorer records an errored score naming it, and the run goes on."""

    error_type = "model_call_error"


class ModelClient(Protocol):
    """Chat and embeddings, the two calls model-graded scorers make; failures raise ModelCallError."""

    async def chat(self, request: ChatRequest) -> ChatReply: ...

    async def embed(self, model: str, texts: Sequence[str]) -> list[list[float]]: ...
