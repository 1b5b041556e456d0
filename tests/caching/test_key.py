"""What must change the exact key and what must not."""

from __future__ import annotations

from typing import Any

import pytest

from rungway.caching.key import exact_key, prompt_text, strict_hash

BODY: dict[str, Any] = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "temperature": 0}


@pytest.mark.parametrize(
    "change",
    [
        {"messages": [{"role": "user", "content": "hello"}]},
        {"temperature": 0.5},
        {"max_tokens": 10},
        {"tools": [{"type": "function", "function": {"name": "f"}}]},
        {"response_format": {"type": "json_object"}},
        {"n": 2},
        {"seed": 7},
        {"some_future_field": 1},
    ],
)
def test_a_field_that_can_change_the_answer_changes_the_key(change: dict[str, Any]) -> None:
    assert exact_key("w", "m", {**BODY, **change}) != exact_key("w", "m", BODY)


@pytest.mark.parametrize(
    "change",
    [
        {"stream": True},
        {"stream_options": {"include_usage": True}},
        {"user": "u1"},
        {"metadata": {"a": "b"}},
        {"model": "an-alias"},
        {"store": True},
    ],
)
def test_a_field_that_only_changes_delivery_keeps_the_key(change: dict[str, Any]) -> None:
    assert exact_key("w", "m", {**BODY, **change}) == exact_key("w", "m", BODY)


def test_the_namespace_and_the_resolved_model_are_in_the_key_and_field_order_is_not() -> None:
    assert exact_key("a", "m", BODY) != exact_key("b", "m", BODY)
    assert exact_key("w", "m1", BODY) != exact_key("w", "m2", BODY)
    assert exact_key("w", "m", dict(reversed(list(BODY.items())))) == exact_key("w", "m", BODY)


def test_the_prompt_text_leaves_out_the_system_prompt_which_the_strict_hash_holds() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "Be brief"},
            {"role": "user", "content": [{"type": "text", "text": "Q"}]},
        ]
    }
    assert prompt_text(body) == "Q"
    other = {"messages": [{"role": "system", "content": "Be long"}, {"role": "user", "content": "Q"}]}
    assert strict_hash(body) != strict_hash(other)
    assert prompt_text({"messages": [{"role": "user", "content": "x" * 10_000}]}, max_chars=100) == "x" * 100


def test_the_strict_hash_holds_the_prompts_numbers_and_negations() -> None:
    def body(text: str) -> dict[str, Any]:
        return {"messages": [{"role": "system", "content": "Support"}, {"role": "user", "content": text}]}

    assert strict_hash(body("Where is my order #48213?")) != strict_hash(body("Where is my order #48214?"))
    assert strict_hash(body("Pizza with cheese")) != strict_hash(body("Pizza without cheese"))
    assert strict_hash(body("How do I reset my password?")) == strict_hash(body("how can I reset my password"))
