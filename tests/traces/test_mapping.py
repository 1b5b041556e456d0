"""Span attributes of the common instrumentations onto Rungway's columns (`traces/mapping.py`)."""

from __future__ import annotations

from typing import Any

import pytest

from rungway.traces import mapping


@pytest.mark.parametrize(
    ("attributes", "kind"),
    [
        ({"rungway.span.kind": "guardrail"}, "guardrail"),
        ({"openinference.span.kind": "RETRIEVER"}, "retrieval"),
        ({"openinference.span.kind": "llm"}, "llm"),  # any case
        ({"gen_ai.operation.name": "chat"}, "llm"),
        ({"gen_ai.operation.name": "embeddings"}, "embedding"),
        ({"gen_ai.operation.name": "execute_tool"}, "tool"),
        ({"traceloop.span.kind": "workflow"}, "chain"),
        ({"llm.request.type": "rerank"}, "reranker"),
        ({"rungway.span.kind": "nonsense", "gen_ai.operation.name": "invoke_agent"}, "agent"),
        ({"openinference.span.kind": "TOOL", "gen_ai.operation.name": "chat"}, "tool"),  # OpenInference first
        ({"gen_ai.operation.name": "dance"}, "custom"),
        ({}, "custom"),
    ],
)
def test_the_span_kind_comes_from_the_first_convention_present(attributes: dict[str, Any], kind: str) -> None:
    assert mapping.span_kind(attributes) == kind


def test_model_provider_user_and_session_take_the_first_present_name() -> None:
    a = {
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.system": "openai",
        "enduser.id": "ann",
        "traceloop.association.properties.session_id": "s1",
    }
    assert mapping.model_of(a) == "gpt-4o-2024-08-06"  # what answered, over what was asked
    assert mapping.provider_of(a) == "openai"
    assert mapping.user_of(a) == "ann" and mapping.session_of(a) == "s1"
    assert mapping.model_of({"gen_ai.response.model": "", "llm.model_name": "claude"}) == "claude"  # empty is absent
    assert mapping.user_of({"user.id": 42}) == "42"
    assert mapping.model_of({}) is None and mapping.session_of({}) is None


@pytest.mark.parametrize(
    ("attributes", "tokens"),
    [
        ({"gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 5}, (10, 5)),
        ({"gen_ai.usage.prompt_tokens": 7, "gen_ai.usage.completion_tokens": 3}, (7, 3)),
        ({"llm.token_count.prompt": "12", "llm.token_count.completion": "x"}, (12, 0)),
        ({}, (0, 0)),
    ],
)
def test_tokens_from_any_convention_and_unreadable_counts_as_zero(
    attributes: dict[str, Any], tokens: tuple[int, int]
) -> None:
    assert mapping.tokens_of(attributes) == tokens


def test_an_instrumentations_own_cost_is_read_only_when_it_is_a_number() -> None:
    assert mapping.cost_usd_of({"gen_ai.usage.cost": 0.25}) == 0.25
    assert mapping.cost_usd_of({"llm.cost.total": 2}) == 2.0
    assert mapping.cost_usd_of({"gen_ai.usage.cost": "0.25"}) is None
    assert mapping.cost_usd_of({"gen_ai.usage.cost": True}) is None


def test_tags_come_from_tag_lists_metadata_and_association_properties() -> None:
    a = {
        "tag.tags": ["beta", "eu"],
        "metadata": '{"env": "prod", "retries": 2, "nested": {"x": 1}}',
        "traceloop.association.properties.team": "qa",
        "traceloop.association.properties.user_id": "ann",  # a column, not a tag
    }
    assert mapping.tags_of(a) == {"beta": "", "eu": "", "env": "prod", "retries": "2", "team": "qa"}


def test_tags_are_bounded_and_bad_metadata_is_ignored() -> None:
    many = mapping.tags_of({"tag.tags": [f"t{i}" for i in range(100)]})
    assert len(many) == 32
    assert mapping.tags_of({"tag.tags": ["k" * 100]}) == {"k" * 64: ""}
    assert mapping.tags_of({"metadata": "{not json"}) == {} and mapping.tags_of({"metadata": "[1]"}) == {}


def test_content_keys_are_prompts_outputs_documents_and_tool_arguments() -> None:
    for key in ("gen_ai.prompt.0.content", "llm.input_messages.0.message.content", "input.value", "tool_call.x"):
        assert mapping.is_content_key(key), key
    for key in ("gen_ai.request.model", "llm.token_count.prompt", "session.id"):
        assert not mapping.is_content_key(key), key
