"""The simulator provider: OpenAI wire format, deterministic, offline."""

from __future__ import annotations

import asyncio
import base64
import random
import struct
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson

from rungway.domain.ids import new_id
from rungway.domain.usage import Usage
from rungway.errors import InvalidRequest, RateLimited, UpstreamError, UpstreamTimeout
from rungway.providers.base import (
    ChatCall,
    ChatResult,
    EmbedCall,
    EmbedResult,
    ModerateCall,
    ModerateResult,
    StreamChunk,
)
from rungway.providers.faults import FaultSwitch
from rungway.providers.registry import register_provider
from rungway.providers.simulator.behaviour import Behaviour, parse_behaviour
from rungway.providers.simulator.completion import SimChoice, build_choices
from rungway.providers.simulator.embedding import embed_text
from rungway.providers.simulator.moderation import moderation_results
from rungway.providers.simulator.text import count_tokens, prompt_tokens, split_tokens
from rungway.providers.simulator.validate import validate_chat, validate_embeddings

FINGERPRINT = "fp_rungway_simulator"


class SimulatorProvider:
    """Answers like an OpenAI-compatible upstream without a network or a model."""

    def __init__(self, name: str, behaviour: Behaviour, account: str | None = None) -> None:
        self.name = name
        self.account = account or name
        self.behaviour = behaviour
        self._rng = random.Random(behaviour.seed)
        self.faults = FaultSwitch(name, behaviour.seed)  # outage drills flip it (providers/faults.py)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def _misbehave(self, call_headers: Any, timeout_s: float, model: object = None) -> None:
        forced = call_headers.get("x-simulator-error") if call_headers else None
        if forced == "timeout":
            await asyncio.sleep(min(timeout_s, 0.05))
            raise UpstreamTimeout(f"simulator {self.name}: upstream timed out (forced by x-simulator-error)")
        if forced == "429":
            raise RateLimited(
                f"simulator {self.name}: upstream rate limit (forced)",
                retry_after=1,
                code="upstream_rate_limited",
            )
        if forced:
            raise UpstreamError(
                f"simulator {self.name}: upstream answered {forced} (forced)",
                upstream_status=int(forced) if forced.isdigit() else 500,
            )
        await self.faults.apply(timeout_s, model)
        if self.behaviour.in_outage():
            raise UpstreamError(
                f"simulator {self.name}: provider outage (configured outage window)", upstream_status=503
            )
        if self.behaviour.error_rate and self._rng.random() < self.behaviour.error_rate:
            raise UpstreamError(f"simulator {self.name}: simulated upstream 500", upstream_status=500)
        delay = self.behaviour.latency_s(self._rng)
        if delay > timeout_s:
            await asyncio.sleep(timeout_s)
            raise UpstreamTimeout(f"simulator {self.name}: no answer within {timeout_s:g}s")
        if delay:
            await asyncio.sleep(delay)

    async def _answer(self, call: ChatCall, kind: str) -> tuple[list[SimChoice], Usage, dict[str, Any]]:
        """Check the body, misbehave as configured, then the choices, their usage and the answer's head."""
        body = call.body
        validate_chat(body)
        await self._misbehave(call.headers, call.timeout_s, body.get("model"))
        choices = build_choices(body, self.behaviour)
        head = {
            "id": "chatcmpl-" + new_id(),
            "object": kind,
            "created": int(time.time()),
            "model": body["model"],
            "system_fingerprint": FINGERPRINT,
        }
        return choices, _usage(body, choices), head

    async def chat(self, call: ChatCall) -> ChatResult:
        choices, usage, head = await self._answer(call, "chat.completion")
        data = {
            **head,
            "choices": [
                {
                    "index": i,
                    "message": {
                        "role": "assistant",
                        "content": c.content,
                        "refusal": None,
                        **({"tool_calls": c.tool_calls} if c.tool_calls else {}),
                    },
                    "logprobs": None,
                    "finish_reason": c.finish_reason,
                }
                for i, c in enumerate(choices)
            ],
            "usage": usage.to_openai(),
        }
        return ChatResult(orjson.dumps(data), data, usage)

    async def chat_stream(self, call: ChatCall) -> AsyncIterator[StreamChunk]:
        choices, usage, base = await self._answer(call, "chat.completion.chunk")
        pause = 1.0 / self.behaviour.tokens_per_second if self.behaviour.tokens_per_second else 0.0
        for index, choice in enumerate(choices):
            yield _chunk(base, index, {"role": "assistant", "content": "" if choice.content is not None else None})
            for delta in _deltas(choice):
                if pause:
                    await asyncio.sleep(pause)
                yield _chunk(base, index, delta)
            yield _chunk(base, index, {}, choice.finish_reason)
        final = {**base, "choices": [], "usage": usage.to_openai()}
        yield StreamChunk(final, None, usage)

    async def embed(self, call: EmbedCall) -> EmbedResult:
        body = call.body
        inputs = validate_embeddings(body)
        dims = body.get("dimensions") or self.behaviour.embedding_dimensions
        if isinstance(dims, bool) or not isinstance(dims, int) or not 1 <= dims <= 8192:
            raise InvalidRequest("'dimensions' must be an integer from 1 to 8192.", param="dimensions")
        encoding = body.get("encoding_format") or "float"
        if encoding not in ("float", "base64"):
            raise InvalidRequest("'encoding_format' must be float or base64.", param="encoding_format")
        await self._misbehave(call.headers, call.timeout_s, body.get("model"))
        data = []
        tokens = 0
        for index, item in enumerate(inputs):
            text = item if isinstance(item, str) else " ".join(str(t) for t in item)
            tokens += count_tokens(text) if isinstance(item, str) else len(item)
            vector = embed_text(text, dims, self.behaviour.seed)
            embedding: Any = (
                base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode() if encoding == "base64" else vector
            )
            data.append({"object": "embedding", "index": index, "embedding": embedding})
        usage = Usage(input=tokens)
        out = {
            "object": "list",
            "data": data,
            "model": body["model"],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        return EmbedResult(orjson.dumps(out), out, usage)

    async def moderate(self, call: ModerateCall) -> ModerateResult:
        """OpenAI's moderation answer from the shipped keyword lists (`simulator/moderation.py`)."""
        body = call.body
        results = moderation_results(body.get("input"))
        await self._misbehave(call.headers, call.timeout_s, body.get("model"))
        out = {"id": new_id("modr-"), "model": body.get("model"), "results": results}
        return ModerateResult(orjson.dumps(out), out)


def _usage(body: dict[str, Any], choices: list[SimChoice]) -> Usage:
    return Usage(
        input=prompt_tokens(body.get("messages") or [], body.get("tools")),
        output=sum(c.completion_tokens for c in choices),
    )


def _chunk(base: dict[str, Any], index: int, delta: dict[str, Any], finish: str | None = None) -> StreamChunk:
    data = {**base, "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}]}
    return StreamChunk(data)


def _deltas(choice: SimChoice) -> list[dict[str, Any]]:
    if choice.tool_calls:
        out: list[dict[str, Any]] = []
        for i, call in enumerate(choice.tool_calls):
            head = {
                "index": i,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            }
            out.append({"tool_calls": [head]})
            for piece in split_tokens(call["function"]["arguments"]):
                out.append({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
        return out
    return [{"content": piece} for piece in split_tokens(choice.content or "")]


@register_provider("simulator")
def create_simulator(config: Any) -> SimulatorProvider:
    behaviour = parse_behaviour(config)
    account = config.options.get("account")
    return SimulatorProvider(config.name, behaviour, str(account) if account else None)
