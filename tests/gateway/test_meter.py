"""The sizes behind budget holds and usage bounds (`gateway/meter.py`): the prompt's upper bound, the
output a call may produce, and the ceiling an upstream's reported usage is capped at."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request

from rungway.gateway.context import CallContext
from rungway.gateway.meter import choices_of, input_token_bound, output_token_cap, usage_ceiling

HELLO = [{"role": "user", "content": "Hello there"}]  # 11 characters
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city today",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]


def context(body: dict[str, Any], endpoint: str = "chat.completions") -> CallContext:
    return CallContext(make_mocked_request("POST", "/v1/x"), endpoint, "req_test", body=body)


def test_a_text_prompt_is_bounded_by_its_characters_plus_framing() -> None:
    assert input_token_bound({"messages": HELLO}) == 11 + 4 + 3
    two = [{"role": "system", "content": "Be brief"}, *HELLO]
    assert input_token_bound({"messages": two}) == 8 + 11 + 2 * 4 + 3


def test_each_content_part_adds_85_tokens_so_an_image_counts_as_a_low_detail_tile() -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 5000}}
    content = [{"type": "text", "text": "What is this?"}, image]
    assert input_token_bound({"messages": [{"role": "user", "content": content}]}) == (13 + 85) + 85 + 4 + 3


def test_tool_definitions_and_tool_calls_count_with_the_prompt() -> None:
    with_tools = input_token_bound({"messages": HELLO, "tools": TOOLS})
    assert with_tools == 18 + len(str(TOOLS))
    assert with_tools >= 18 + len(json.dumps(TOOLS))  # at least a token per character of what is sent
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}
    answered = [*HELLO, {"role": "assistant", "content": None, "tool_calls": [call]}]
    assert input_token_bound({"messages": answered}) == 11 + len(str(call)) + 2 * 4 + 3


def test_legacy_function_definitions_count_with_the_prompt_like_tools() -> None:
    """`functions` (the deprecated form of `tools`) is still sent upstream and billed as prompt tokens."""
    functions = [TOOLS[0]["function"]]
    assert input_token_bound({"messages": HELLO, "functions": functions}) == 18 + len(str(functions))
    call = {"name": "get_weather", "arguments": '{"city":"Oslo"}'}
    answered = [*HELLO, {"role": "assistant", "content": None, "function_call": call}]
    assert input_token_bound({"messages": answered}) == 11 + len(str(call)) + 2 * 4 + 3


def test_embedding_input_is_bounded_by_its_characters_or_its_token_ids() -> None:
    assert input_token_bound({"input": "x" * 40}) == 40 + 3
    assert input_token_bound({"input": ["abc", [1, 2, 3, 4], 7]}) == 3 + 4 + 1 + 3


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
