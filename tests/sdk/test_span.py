"""One application step as the SDK records it (`sdk/span.py`)."""

from __future__ import annotations

import json
import re

import pytest

from rungway.sdk.span import Span


def test_a_root_span_starts_a_trace_and_a_child_joins_it() -> None:
    root = Span("answer", "agent", None, {"user.id": "ann"})
    child = Span("search", "retrieval", root, None)
    assert re.fullmatch(r"[0-9a-f]{32}", root.trace_id) and re.fullmatch(r"[0-9a-f]{16}", root.span_id)
    assert root.parent_span_id is None and root.attributes == {"rungway.span.kind": "agent", "user.id": "ann"}
    assert child.trace_id == root.trace_id and child.parent_span_id == root.span_id and child.span_id != root.span_id
    assert Span("other", "chain", None, None).trace_id != root.trace_id


def test_traceparent_is_the_w3c_header_of_the_span() -> None:
    span = Span("s", "tool", None, None)
    assert span.traceparent == f"00-{span.trace_id}-{span.span_id}-01"


def test_input_and_output_are_kept_as_text_or_json() -> None:
    span = Span("s", "tool", None, None)
    span.set_input("plain")
    span.set_output({"ids": [1, 2], "when": object})
    assert span.attributes["input.value"] == "plain"
    assert json.loads(span.attributes["output.value"])["ids"] == [1, 2]  # what JSON cannot hold becomes text
    span.set_attribute("k", 3)
    span.set_error("boom")
    assert span.attributes["k"] == 3 and span.status == (2, "boom")


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="'banana' is not a valid SpanKind"):
        Span("s", "banana", None, None)
