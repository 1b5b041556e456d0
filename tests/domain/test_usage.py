"""Token usage (`domain/usage.py`): reported counts read defensively and bounded by what a call could use,
and a prompt's size from the request body, the likely token count and the most it can be."""

from __future__ import annotations

from typing import Any

import pytest

from rungway.domain.usage import (
    IMAGE_TOKENS_AT_MOST,
    INVALID_COUNT,
    MAX_TOKENS,
    PART_TOKENS_AT_MOST,
    Usage,
    prompt_tokens,
    token_count,
)

TEXT = "x" * 400  # about 100 tokens, at most 400


@pytest.mark.parametrize(
    ("body", "likely", "at_most"),
    [
        ({"messages": [{"role": "user", "content": TEXT}]}, 101, 400 + 4 + 3),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": TEXT}, {"type": "image_url"}]}]},
            101,
            400 + PART_TOKENS_AT_MOST + IMAGE_TOKENS_AT_MOST + 4 + 3,
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"detail": "low"}}]}]},
            1,
            PART_TOKENS_AT_MOST + 4 + 3,
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]},
            1,
            IMAGE_TOKENS_AT_MOST + 4 + 3,
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


@pytest.mark.parametrize(
    ("value", "count"),
    [
        (None, (0, True)),
        (0, (0, True)),
        (42, (42, True)),
        (MAX_TOKENS, (MAX_TOKENS, True)),
        (MAX_TOKENS + 1, (MAX_TOKENS, False)),
        (10**17, (MAX_TOKENS, False)),
        (-1, (0, False)),
        (True, (0, False)),
        (12.0, (12, True)),
        (12.5, (12, False)),
        (float("inf"), (0, False)),
        (float("nan"), (0, False)),
        ("12", (0, False)),
        ([1], (0, False)),
    ],
)
def test_a_reported_count_is_read_as_a_bounded_whole_number(value: Any, count: tuple[int, bool]) -> None:
    assert token_count(value) == count


def test_openai_usage_is_read_with_its_cached_tokens() -> None:
    usage = Usage.from_openai(
        {"prompt_tokens": 100, "completion_tokens": 20, "prompt_tokens_details": {"cached_tokens": 64}}
    )
    assert usage == Usage(100, 20, 64) and usage.total == 120


def test_missing_or_malformed_openai_usage() -> None:
    assert Usage.from_openai(None) is None and Usage.from_openai({}) is None
    assert Usage.from_openai([1, 2]) == Usage(anomaly="usage is not an object")  # type: ignore[arg-type]
    assert Usage.from_openai({"prompt_tokens": -3, "completion_tokens": 5}) == Usage(0, 5, 0, INVALID_COUNT)


def test_usage_within_the_calls_bounds_is_kept_as_reported() -> None:
    usage = Usage(100, 20, 10)
    assert usage.bounded(100, 20) is usage


def test_usage_past_the_calls_bounds_is_capped_and_says_why() -> None:
    bounded = Usage(10**9, 50, 10**9).bounded(1_000, 40)
    assert (bounded.input, bounded.output, bounded.cached_input) == (1_000, 40, 1_000)
    assert bounded.anomaly == "reported 1000000000 in / 50 out, more than the call could use"


def test_more_cached_than_input_tokens_is_its_own_anomaly() -> None:
    bounded = Usage(10, 5, 30).bounded(100, 100)
    assert bounded == Usage(10, 5, 10, "more cached than input tokens")


def test_the_first_anomaly_is_kept() -> None:
    first = Usage(5, 5, anomaly="first")
    assert first.flagged("second").anomaly == "first"
    assert first.bounded(1, 1).anomaly == "first"
    assert Usage(5, 5).flagged("new").anomaly == "new"


def test_bounds_never_pass_the_largest_token_count() -> None:
    assert Usage(MAX_TOKENS, MAX_TOKENS).bounded(2**62, 2**62) == Usage(MAX_TOKENS, MAX_TOKENS)


def test_usage_is_written_back_in_the_openai_shape() -> None:
    shown = Usage(100, 20, 64).to_openai()
    assert shown["prompt_tokens"] == 100 and shown["completion_tokens"] == 20 and shown["total_tokens"] == 120
    assert shown["prompt_tokens_details"]["cached_tokens"] == 64
    assert Usage.from_openai(shown) == Usage(100, 20, 64)


def test_legacy_function_definitions_and_calls_count_in_full_at_most() -> None:
    """`functions` and `function_call`, the deprecated forms of tools, are still sent upstream and billed."""
    functions = [{"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]
    hello = [{"role": "user", "content": "Hello there"}]
    assert prompt_tokens({"messages": hello, "functions": functions}, at_most=True) == 11 + len(str(functions)) + 4 + 3
    call = {"name": "get_weather", "arguments": '{"city":"Oslo"}'}
    answered = [*hello, {"role": "assistant", "content": None, "function_call": call}]
    assert prompt_tokens({"messages": answered}, at_most=True) == 11 + len(str(call)) + 2 * 4 + 3
