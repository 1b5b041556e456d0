"""Embeddings on Bedrock: the OpenAI embeddings format <-> Amazon Titan Text Embeddings through InvokeModel.

Converse has no embeddings; Bedrock serves them through `POST /model/{modelId}/invoke` with each model
family's own body. This module speaks Titan's (`amazon.titan-embed-text-v1`, `-v2:0`): one text per
request, `{"inputText", "dimensions", "normalize"}` in, `{"embedding", "inputTextTokenCount"}` out. The
transport sends one request per input and this module joins the answers into one OpenAI list. Pure
functions, no I/O; every field of an answer is checked (a list of at most `MAX_DIMENSIONS` finite numbers,
a token count) and anything else is a 502.
"""

from __future__ import annotations

import base64
import math
import struct
from typing import Any

from rungway.domain.usage import INVALID_COUNT, Usage, token_count
from rungway.errors import InvalidRequest, UpstreamError

MAX_INPUTS = 2048  # as OpenAI's embeddings API
MAX_DIMENSIONS = 16_384
FLOAT32_MAX = 3.4028234663852886e38


def is_titan(model: str) -> bool:
    return model.startswith("amazon.titan-embed-text") or ".amazon.titan-embed-text" in model


def titan_requests(body: dict[str, Any]) -> list[dict[str, Any]]:
    """One Titan InvokeModel body per input text."""
    model = str(body.get("model"))
    if not is_titan(model):
        raise InvalidRequest(
            f"The bedrock provider serves embeddings from Amazon Titan Text Embeddings models "
            f"(amazon.titan-embed-text-v2:0, amazon.titan-embed-text-v1); {model!r} is not one.",
            param="model",
            code="embeddings_not_supported",
        )
    texts = body.get("input")
    texts = [texts] if isinstance(texts, str) else texts
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t for t in texts):
        raise InvalidRequest(
            "'input' must be a non-empty string or an array of non-empty strings (Titan takes text, not token ids).",
            param="input",
        )
    if len(texts) > MAX_INPUTS:
        raise InvalidRequest(f"'input' may hold at most {MAX_INPUTS} texts.", param="input")
    extra: dict[str, Any] = {}
    dimensions = body.get("dimensions")
    if dimensions is not None:
        if isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions < 1:
            raise InvalidRequest("'dimensions' must be a positive integer.", param="dimensions")
        extra["dimensions"] = dimensions
    if body.get("encoding_format") not in (None, "float", "base64"):
        raise InvalidRequest("'encoding_format' must be float or base64.", param="encoding_format")
    return [{"inputText": text, **extra} for text in texts]


def titan_vector(provider: str, answer: Any) -> tuple[list[float], int, bool]:
    """The embedding and token count of one Titan answer, checked."""
    vector = answer.get("embedding") if isinstance(answer, dict) else None
    if (
        not isinstance(vector, list)
        or not 0 < len(vector) <= MAX_DIMENSIONS
        or not all(isinstance(x, int | float) and not isinstance(x, bool) and _float32(x) for x in vector)
    ):
        raise UpstreamError(
            f"{provider}: Bedrock answered without an embedding of 1 to {MAX_DIMENSIONS} numbers",
            code="upstream_malformed",
        )
    tokens, valid = token_count(answer.get("inputTextTokenCount"))
    return [float(x) for x in vector], tokens, valid


def _float32(x: float) -> bool:
    return math.isfinite(x) and abs(x) <= FLOAT32_MAX


def to_embeddings(provider: str, answers: list[Any], model: str, encoding: Any) -> tuple[dict[str, Any], Usage]:
    """Join Titan answers (one per input, in order) into an OpenAI embeddings list with its usage."""
    data = []
    total, all_valid = 0, True
    for index, answer in enumerate(answers):
        vector, tokens, valid = titan_vector(provider, answer)
        total, all_valid = total + tokens, all_valid and valid
        value: Any = vector
        if encoding == "base64":  # float32 little-endian, as OpenAI sends it (the openai SDK asks for this)
            value = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": value})
    usage = Usage.reported(total, 0)
    usage = usage if all_valid else usage.flagged(INVALID_COUNT)
    result = {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": usage.input, "total_tokens": usage.input},
    }
    return result, usage
