"""The model client online scorers judge with: the gateway's own served models, called in process, spend metered.

A judge (`llm-rubric`, `pairwise`) or an embedding scorer (`similar`) names a model of `models:`; this resolves
it as the gateway would (its first deployment) and calls that deployment's provider directly, with no HTTP
hop to the server itself, so there is no internal key to mint, no port to know and no loop (a judge's call is
never itself sampled for scoring). What each call's tokens cost at the model's price is added to the
`SpendMeter` of the job being scored (a context variable the worker sets), which the daily cost cap reads.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rungway.capability import GatewayState
from rungway.domain.usage import Usage
from rungway.errors import RungwayError
from rungway.evals.public import ChatReply, ChatRequest, ModelCallError
from rungway.gateway.routing import single_plan
from rungway.providers.base import ChatCall, EmbedCall, Provider
from rungway.settings.config import ModelRoute

__all__ = ["METER", "GatewayModels", "SpendMeter"]


@dataclass(slots=True)
class SpendMeter:
    """What one job's model calls cost, in nano-dollars, and how many calls it made."""

    cost_nano: int = 0
    calls: int = 0


METER: contextvars.ContextVar[SpendMeter | None] = contextvars.ContextVar("online_evals_meter", default=None)


class GatewayModels:
    """`ModelClient` (rungway.evals) over the gateway's served models, in process."""

    def __init__(self, state: GatewayState, timeout_s: float) -> None:
        self._state = state
        self._timeout_s = timeout_s

    def _resolve(self, model: str) -> tuple[ModelRoute, ModelRoute, Provider]:
        route = self._state.config.models.get(model)
        if route is None:
            raise ModelCallError(f"the model {model!r} is not served by this gateway (add it under `models:`)")
        first = single_plan(route).deployments[0]
        provider = self._state.providers.get(first.provider)
        if provider is None:
            raise ModelCallError(f"the model {model!r} has no provider {first.provider!r}")
        return route, first, provider

    def _meter(self, route: ModelRoute, usage: Usage | None) -> None:
        meter = METER.get()
        if meter is None:
            return
        meter.calls += 1
        if usage is not None:
            price = self._state.prices.get(route.name) or self._state.config.price_of(route)
            if price is not None:
                meter.cost_nano += price.cost_nano(usage)

    async def chat(self, request: ChatRequest) -> ChatReply:
        route, first, provider = self._resolve(request.model)
        body: dict[str, Any] = {
            "model": first.upstream_model,
            "messages": [{"role": role, "content": content} for role, content in request.messages],
            "seed": request.seed,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        }
        if request.json_schema is not None:
            schema = {"name": "judgement", "schema": request.json_schema, "strict": True}
            body["response_format"] = {"type": "json_schema", "json_schema": schema}
        try:
            result = await provider.chat(ChatCall(body, timeout_s=self._timeout_s))
        except RungwayError as exc:
            raise ModelCallError(f"{request.model}: {exc.error_type}: {exc.message}") from None
        self._meter(route, result.usage)
        try:
            text = result.data["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise ModelCallError(f"{request.model}: no message in the reply") from None
        return ChatReply(str(text), route.name, None)

    async def embed(self, model: str, texts: Sequence[str]) -> list[list[float]]:
        route, first, provider = self._resolve(model)
        try:
            result = await provider.embed(
                EmbedCall({"model": first.upstream_model, "input": list(texts)}, timeout_s=self._timeout_s)
            )
        except RungwayError as exc:
            raise ModelCallError(f"{model}: {exc.error_type}: {exc.message}") from None
        self._meter(route, result.usage)
        try:
            rows = sorted(result.data["data"], key=lambda row: row["index"])
            vectors = [[float(v) for v in row["embedding"]] for row in rows]
        except (KeyError, TypeError, ValueError):
            raise ModelCallError(f"{model}: no embeddings in the reply") from None
        if len(vectors) != len(texts):
            raise ModelCallError(f"{model}: {len(vectors)} vectors for {len(texts)} inputs")
        return vectors
