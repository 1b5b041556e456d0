"""Reported token usage (`domain/usage.py`): read defensively, bounded by what a call could use."""

from __future__ import annotations

from typing import Any

import pytest

from rungway.domain.usage import INVALID_COUNT, MAX_TOKENS, Usage, token_count


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
