"""Embeddings through Gemini's `batchEmbedContents`, in and out of the OpenAI embeddings format.

One request carries every input (`requests[i].content.parts[0].text`); the answer's
`embeddings[i].values` come back as OpenAI `data[i].embedding`, as floats or, when the client asks
for `encoding_format: base64` (the openai SDK's default), as little-endian float32 bytes in base64.
Gemini reports no token counts for embeddings: usage is estimated from the text (`prompt_tokens`).
"""

from __future__ import annotations

import base64
import math
import sys
from array import array
from typing import Any

from rungway.errors import InvalidRequest
from rungway.providers.gemini_answer import BadAnswer

__all__ = ["MAX_INPUTS", "to_embed_request", "to_embeddings"]

MAX_INPUTS = 100  # batchEmbedContents takes at most 100 requests
MAX_DIMENSIONS = 65_536


def to_embed_request(body: dict[str, Any], model: str) -> tuple[dict[str, Any], int]:
    """The `batchEmbedContents` body for an OpenAI embeddings request, and the number of inputs."""
    value = body.get("input")
    inputs = [value] if isinstance(value, str) else value
    if not isinstance(inputs, list) or not inputs or not all(isinstance(t, str) and t for t in inputs):
        raise InvalidRequest(
            "The gemini provider embeds text: 'input' must be a non-empty string or an array of them "
            "(Gemini takes no token ids).",
            param="input",
        )
    if len(inputs) > MAX_INPUTS:
        raise InvalidRequest(f"Gemini embeds at most {MAX_INPUTS} inputs per request.", param="input")
    extra: dict[str, Any] = {}
    dimensions = body.get("dimensions")
    if dimensions is not None:
        if isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions < 1:
            raise InvalidRequest("'dimensions' must be a positive integer.", param="dimensions")
        extra["outputDimensionality"] = dimensions
    requests = [{"model": model, "content": {"parts": [{"text": text}]}, **extra} for text in inputs]
    return {"requests": requests}, len(inputs)


def _vector(item: Any) -> list[float]:
    values = item.get("values") if isinstance(item, dict) else None
    if not isinstance(values, list) or not 0 < len(values) <= MAX_DIMENSIONS:
        raise BadAnswer(f"an embedding's 'values' is not a list of 1 to {MAX_DIMENSIONS} numbers")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise BadAnswer("an embedding holds something other than finite numbers")
    return values


def _base64(values: list[float]) -> str:
    packed = array("f", values)
    if sys.byteorder != "little":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode()


def to_embeddings(answer: Any, model: str, count: int, encoding: Any, tokens: int) -> dict[str, Any]:
    """The OpenAI embeddings answer for a `batchEmbedContents` answer of `count` inputs (`tokens`: estimated)."""
    embeddings = answer.get("embeddings") if isinstance(answer, dict) else None
    if not isinstance(embeddings, list) or len(embeddings) != count:
        raise BadAnswer(f"'embeddings' is not a list of the {count} vectors asked for")
    data = []
    for index, item in enumerate(embeddings):
        vector = _vector(item)
        embedding: Any = _base64(vector) if encoding == "base64" else vector
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    return {"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
