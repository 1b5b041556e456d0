"""The sizes behind budget holds and usage bounds (`gateway/meter.py`): the output a call may produce,
and the ceiling an upstream's reported usage is capped at. (The prompt's upper bound is
`domain.usage.prompt_tokens(at_most=True)`, tested in tests/domain/test_usage.py.)"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request

from rungway.gateway.context import CallContext
from rungway.gateway.meter import choices_of, output_token_cap, usage_ceiling

HELLO = [{"role": "user", "content": "Hello there"}]  # 11 characters


def context(body: dict[str, Any], endpoint: str = "chat.completions") -> CallContext:
    return CallContext(
        make_mocked_request("POST", "/v1/x"), endpoint, "req_test", chat=endpoint != "embeddings", body=body
    )


@pytest.mark.parametrize(
    ("body", "cap"),
    [
        ({"max_tokens": 20}, 20),
        ({"max_completion_tokens": 50}, 50),
        ({"max_completion_tokens": 50, "max_tokens": 20}, 50),  # the newer field wins, as upstream
        ({}, 4096),  # none: the default cap (budgets.default_max_tokens)
        ({"max_tokens": 20, "n": 3}, 60),  # per choice, times the choices
        ({"n": 2}, 2 * 4096),
        ({"max_tokens": 20, "n": 1000}, 20 * 128),  # past OpenAI's own limit on n
        ({"max_tokens": 20, "n": True}, 20),  # JSON true is not a number
        ({"max_tokens": "20"}, 4096),  # not a whole number: the default
    ],
)
def test_the_output_a_chat_call_may_produce(body: dict[str, Any], cap: int) -> None:
    assert output_token_cap(context({"messages": HELLO, **body}), 4096) == cap


def test_an_embedding_call_produces_no_output_tokens() -> None:
    assert output_token_cap(context({"input": "x", "max_tokens": 20}, "embeddings"), 4096) == 0


def test_choices_count_only_whole_numbers_above_one() -> None:
    assert [choices_of({"n": n}) for n in (None, 0, -3, 1, 2, 128, 129, 2.5, "4")] == [1, 1, 1, 1, 2, 128, 128, 1, 1]


def test_the_usage_ceiling_grows_by_max_call_tokens_for_parts_that_are_not_text() -> None:
    text_body = {"messages": HELLO, "max_tokens": 20, "n": 2}
    size = len(json.dumps(text_body, separators=(",", ":")))
    assert usage_ceiling(context(text_body), 10_000) == (size + 8 + 64, 40)
    image = {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "u"}}]}]}
    size = len(json.dumps(image, separators=(",", ":")))
    assert usage_ceiling(context(image), 10_000) == (size + 8 + 64 + 10_000, 10_000)


def test_the_usage_ceiling_caps_the_callers_own_max_tokens_at_max_call_tokens() -> None:
    assert usage_ceiling(context({"messages": HELLO, "max_tokens": 50_000}), 10_000)[1] == 10_000
    assert usage_ceiling(context({"input": "x"}, "embeddings"), 10_000)[1] == 0
