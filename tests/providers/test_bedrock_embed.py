"""OpenAI embeddings <-> Titan Text Embeddings through InvokeModel, one mapping at a time (no network)."""

from __future__ import annotations

import base64
import struct
from typing import Any

import pytest

from rungway.domain.usage import INVALID_COUNT, Usage
from rungway.errors import InvalidRequest, UpstreamError
from rungway.providers.bedrock_embed import MAX_DIMENSIONS, titan_requests, to_embeddings

TITAN = "amazon.titan-embed-text-v2:0"


def test_one_request_per_text_with_dimensions() -> None:
    assert titan_requests({"model": TITAN, "input": "hi"}) == [{"inputText": "hi"}]
    many = titan_requests({"model": f"us.{TITAN}", "input": ["a", "b"], "dimensions": 256})
    assert many == [{"inputText": "a", "dimensions": 256}, {"inputText": "b", "dimensions": 256}]


@pytest.mark.parametrize(
    "body",
    [
        {"model": "cohere.embed-english-v3", "input": "hi"},
        {"model": TITAN, "input": [1, 2, 3]},
        {"model": TITAN, "input": ""},
        {"model": TITAN, "input": []},
        {"model": TITAN, "input": ["x"] * 2049},
        {"model": TITAN, "input": "hi", "dimensions": 0},
        {"model": TITAN, "input": "hi", "encoding_format": "int8"},
    ],
)
def test_requests_titan_cannot_serve_are_400s(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest):
        titan_requests(body)


def test_answers_join_in_order_with_usage_and_base64() -> None:
    answers = [{"embedding": [0.5, -1], "inputTextTokenCount": 2}, {"embedding": [1, 2], "inputTextTokenCount": 3}]
    data, usage = to_embeddings("up", answers, TITAN, None)
    assert [d["embedding"] for d in data["data"]] == [[0.5, -1.0], [1.0, 2.0]]
    assert [d["index"] for d in data["data"]] == [0, 1] and usage == Usage(input=5)
    encoded, _ = to_embeddings("up", answers, TITAN, "base64")
    assert struct.unpack("<2f", base64.b64decode(encoded["data"][0]["embedding"])) == (0.5, -1.0)


@pytest.mark.parametrize(
    "answer",
    [
        [],
        {"embedding": "0.1,0.2"},
        {"embedding": []},
        {"embedding": [True]},
        {"embedding": ["1"]},
        {"embedding": [float("nan")]},
        {"embedding": [1e300]},
        {"embedding": [0.0] * (MAX_DIMENSIONS + 1)},
    ],
)
def test_malformed_answers_are_502s(answer: Any) -> None:
    with pytest.raises(UpstreamError) as caught:
        to_embeddings("up", [answer], TITAN, "base64")
    assert caught.value.status == 502 and caught.value.code == "upstream_malformed"


def test_a_bad_token_count_counts_as_zero_and_is_flagged() -> None:
    _, usage = to_embeddings("up", [{"embedding": [1.0], "inputTextTokenCount": -4}], TITAN, None)
    assert usage.input == 0 and usage.anomaly == INVALID_COUNT
