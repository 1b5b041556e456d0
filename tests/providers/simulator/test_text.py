"""The simulator's text (`providers/simulator/text.py`): token counts that split back exactly, prompt
tokens counted as OpenAI does, and deterministic replies."""

from __future__ import annotations

import pytest

from rungway.providers.simulator.text import (
    content_text,
    count_tokens,
    prompt_tokens,
    reply_text,
    rng_for,
    split_tokens,
)


@pytest.mark.parametrize("text", ["Hello, world!", "  leading and trailing  ", "a", "", "¿Qué tal? 👋 ok", "x\n\ny"])
def test_tokens_split_back_into_the_exact_text_one_piece_per_counted_token(text: str) -> None:
    pieces = split_tokens(text)
    assert "".join(pieces) == text
    assert len(pieces) == max(count_tokens(text), 1 if text else 0)


def test_words_and_punctuation_count_one_token_each() -> None:
    assert count_tokens("Hello, world!") == 4


def test_message_content_is_text_or_the_text_of_its_parts() -> None:
    assert content_text("hi") == "hi"
    assert content_text([{"type": "text", "text": "a"}, {"type": "image_url"}, "junk", {"text": "b"}]) == "a  b"
    assert content_text(None) == "" and content_text(5) == ""


def test_prompt_tokens_are_content_plus_four_per_message_plus_three() -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello, world!"}]
    assert prompt_tokens(messages, None) == 3 + (4 + 3) + (4 + 4)
    call = {"id": "c", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}
    with_call = [{"role": "assistant", "content": None, "tool_calls": [call, {"type": "broken"}]}]
    assert prompt_tokens(with_call, None) == 3 + 4 + count_tokens("get_weather") + count_tokens('{"city": "Oslo"}')
    tools = [{"type": "function", "function": {"name": "f"}}]
    assert prompt_tokens(messages, tools) > prompt_tokens(messages, None)


def test_replies_are_deterministic_per_seed_and_name_their_question() -> None:
    first = reply_text(rng_for("gpt-4o", "hello", 1), "What is a refund policy?", (5, 10))
    assert first == reply_text(rng_for("gpt-4o", "hello", 1), "What is a refund policy?", (5, 10))
    assert first != reply_text(rng_for("gpt-4o", "hello", 2), "What is a refund policy?", (5, 10))
    assert first.startswith('Simulated answer to "What is a refund policy?": ') and first.endswith(".")
    assert reply_text(rng_for(1), "", (1, 1)).startswith("Simulated answer: ")
