"""A prompt's size from the request body: the likely token count and the most it can be."""

from __future__ import annotations

from typing import Any

import pytest

from rungway.domain.usage import PART_TOKENS_AT_MOST, prompt_tokens

TEXT = "x" * 400  # about 100 tokens, at most 400


@pytest.mark.parametrize(
    ("body", "likely", "at_most"),
    [
        ({"messages": [{"role": "user", "content": TEXT}]}, 101, 400 + 4 + 3),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": TEXT}, {"type": "image_url"}]}]},
            101,
            400 + 2 * PART_TOKENS_AT_MOST + 4 + 3,
        ),
        ({"input": TEXT}, 101, 403),
        ({"input": ["ab", "cd"]}, 2, 7),
        ({"input": [[1, 2, 3], [4, 5]]}, 3, 5 + 3),  # token-id lists: one likely token each, every id at most
        ({"input": [1, 2, 3]}, 4, 3 + 3),
        ({}, 1, 3),
    ],
)
def test_prompt_size_likely_and_at_most(body: dict[str, Any], likely: int, at_most: int) -> None:
    assert prompt_tokens(body) == likely
    assert prompt_tokens(body, at_most=True) == at_most


def test_tool_calls_and_tool_definitions_count_in_full_only_at_most() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    body = {"messages": [{"role": "assistant", "content": None, "tool_calls": [call]}], "tools": tools}
    assert prompt_tokens(body) == 1
    assert prompt_tokens(body, at_most=True) == len(str(call)) + len(str(tools)) + 4 + 3


def test_the_upper_bound_is_never_below_the_likely_count() -> None:
    body = {"messages": [{"role": "user", "content": TEXT}, {"role": "user", "content": [{"type": "text"}]}]}
    assert prompt_tokens(body, at_most=True) >= prompt_tokens(body)


def test_a_message_that_is_not_an_object_adds_only_its_framing() -> None:
    assert prompt_tokens({"messages": ["hi", {"role": "user", "content": "abcd"}]}) == 2
    assert prompt_tokens({"messages": ["hi", {"role": "user", "content": "abcd"}]}, at_most=True) == 4 + 8 + 3
