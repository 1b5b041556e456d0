"""Stored span content read back in one shape whatever the instrumentation (`traces/views.py`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rungway.traces.views import content_view, span_view, trace_tree

MESSAGES = [{"role": "user", "content": "Hi"}]


@pytest.mark.parametrize(
    ("attributes", "expected_input"),
    [
        ({"gen_ai.input.messages": json.dumps(MESSAGES)}, MESSAGES),  # GenAI conventions, structured
        ({"gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "Hi"}, MESSAGES),  # older indexed
        ({"llm.input_messages.0.message.role": "user", "llm.input_messages.0.message.content": "Hi"}, MESSAGES),
        ({"input.value": "plain question"}, "plain question"),  # OpenInference
        ({"traceloop.entity.input": '{"q": 1}'}, {"q": 1}),
        ({"gen_ai.input.messages": "[not json"}, "[not json"),
    ],
)
def test_the_input_from_each_convention(attributes: dict[str, Any], expected_input: Any) -> None:
    assert content_view({"attributes": attributes})["input"] == expected_input


def test_indexed_items_come_in_index_order_not_text_order() -> None:
    attributes = {f"gen_ai.prompt.{i}.content": f"m{i}" for i in (10, 2, 1)}
    assert content_view({"attributes": attributes})["input"] == [{"content": "m1"}, {"content": "m2"},
                                                                  {"content": "m10"}]  # fmt: skip


def test_output_documents_tool_system_and_parameters() -> None:
    view = content_view(
        {
            "attributes": {
                "gen_ai.system_instructions": '["Be brief"]',
                "gen_ai.completion.0.role": "assistant",
                "gen_ai.completion.0.content": "Hello",
                "retrieval.documents.0.document.content": "doc text",
                "retrieval.documents.0.document.score": 0.9,
                "tool.name": "search",
                "tool.parameters": '{"q": "x"}',
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.request.temperature": 0.2,
            }
        }
    )
    assert view == {
        "system": ["Be brief"],
        "output": [{"role": "assistant", "content": "Hello"}],
        "documents": [{"content": "doc text", "score": 0.9}],
        "tool": {"name": "search", "arguments": {"q": "x"}},
        "parameters": {"temperature": 0.2},
    }


def test_content_carried_in_events_is_read_when_attributes_have_none() -> None:
    view = content_view(
        {
            "attributes": {},
            "events": [
                {"name": "gen_ai.content.prompt", "attributes": {"gen_ai.prompt": json.dumps(MESSAGES)}},
                {"name": "gen_ai.choice", "attributes": {"message": "Hello"}},
            ],
        }
    )
    assert view == {"input": MESSAGES, "output": "Hello"}
    assert content_view({}) == {}


def _span(span_id: str, parent: str | None, content: Any = None, **fields: Any) -> dict[str, Any]:
    return {"span_id": span_id, "parent_span_id": parent, "cost_nano": 1_500_000,
            "content": content or {"attributes": {"input.value": span_id}}, **fields}  # fmt: skip


def test_a_span_view_has_its_cost_in_dollars_content_and_attributes() -> None:
    view = span_view(_span("a", None, b'{"attributes": {"input.value": "q"}, "events": [{"name": "e"}]}'))
    assert view["cost_usd"] == 0.0015 and view["input"] == "q" and view["attributes"] == {"input.value": "q"}
    assert view["events"] == [{"name": "e"}] and "content" not in view


def test_a_hidden_span_stays_a_placeholder() -> None:
    hidden = {"span_id": "h", "parent_span_id": None, "hidden": True, "content": None, "cost_nano": 0}
    assert span_view(hidden) == hidden


def test_spans_nest_under_their_parents_and_orphans_stay_at_the_top() -> None:
    spans = [_span("root", None), _span("child", "root"), _span("grandchild", "child"), _span("orphan", "gone"),
             _span("self", "self")]  # fmt: skip
    tree = trace_tree({"trace_id": "t", "cost_nano": 3_000_000_000}, spans)
    assert tree["cost_usd"] == 3.0
    assert [s["span_id"] for s in tree["spans"]] == ["root", "orphan", "self"]
    child = tree["spans"][0]["children"][0]
    assert child["span_id"] == "child" and [g["span_id"] for g in child["children"]] == ["grandchild"]
