"""OpenAI embeddings <-> Gemini batchEmbedContents (no network)."""

from __future__ import annotations

import pytest

from rungway.errors import InvalidRequest
from rungway.providers.gemini_answer import BadAnswer
from rungway.providers.gemini_embed import to_embed_request, to_embeddings


def test_embeddings_translation_floats_and_base64() -> None:
    request, count = to_embed_request({"input": ["a", "b"], "dimensions": 2}, "models/text-embedding-004")
    assert count == 2 and request["requests"][0] == {
        "model": "models/text-embedding-004",
        "content": {"parts": [{"text": "a"}]},
        "outputDimensionality": 2,
    }
    answer_ = {"embeddings": [{"values": [0.5, 1.0]}, {"values": [0.25, 2.0]}]}
    floats = to_embeddings(answer_, "e", 2, None, 3)
    assert floats["data"][1]["embedding"] == [0.25, 2.0] and floats["usage"]["prompt_tokens"] == 3
    assert to_embeddings(answer_, "e", 2, "base64", 3)["data"][0]["embedding"] == "AAAAPwAAgD8="
    with pytest.raises(BadAnswer):
        to_embeddings({"embeddings": [{"values": [float("nan")]}]}, "e", 1, None, 1)
    with pytest.raises(InvalidRequest, match="token ids"):
        to_embed_request({"input": [[1, 2]]}, "models/e")
