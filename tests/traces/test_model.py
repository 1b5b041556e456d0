"""Span rows and the trace totals a batch of them adds (`traces/model.py`)."""

from __future__ import annotations

from typing import Any

from rungway.traces.model import SpanRow, clean_text, roll_up


def row(span_id: str, parent: str | None = "root", trace: str = "t1", workload: str = "bot", **fields: Any) -> SpanRow:
    values: dict[str, Any] = {
        "trace_id": trace, "span_id": span_id, "parent_span_id": parent, "name": span_id, "kind": "custom",
        "source": "otlp", "start_time": 10.0, "end_time": 11.0, "latency_ms": 1000.0, "status": "ok",
        "status_message": None, "workload": workload, "user_id": None, "session_id": None, "tags": "{}",
        "service": None, "model": None, "provider": None, "tokens_in": 1, "tokens_out": 2, "cost_nano": 100,
        "content": b"{}",
    }  # fmt: skip
    values.update(fields)
    return SpanRow(**values)


def test_clean_text_removes_nul_and_cuts_to_the_column() -> None:
    assert clean_text(None, 5) is None
    assert clean_text("a\x00b\x00c", 5) == "abc"
    assert clean_text("abcdefgh", 5) == "abcde"
    assert clean_text("", 5) == ""


def test_a_batch_adds_one_total_per_trace_and_workload() -> None:
    totals = roll_up([row("a", trace="t1"), row("b", trace="t2"), row("c", trace="t1", workload="other"),
                      row("d", trace="t1")])  # fmt: skip
    assert sorted((t.trace_id, t.workload, t.span_count) for t in totals) == [
        ("t1", "bot", 2), ("t1", "other", 1), ("t2", "bot", 1)]  # fmt: skip


def test_totals_sum_counts_widen_times_and_take_the_roots_name() -> None:
    (total,) = roll_up([
        row("child", start_time=12.0, end_time=20.0, status="error", tokens_in=5, cost_nano=7),
        row("root", parent=None, name="answer", start_time=10.0, end_time=15.0, user_id="ann",
            tags='{"env": "prod"}'),
        row("late", start_time=11.0, end_time=25.0, session_id="s1"),
    ])  # fmt: skip
    assert (total.name, total.has_root, total.start_time, total.end_time) == ("answer", 1, 10.0, 25.0)
    assert (total.span_count, total.error_count, total.tokens_in, total.tokens_out, total.cost_nano) == (
        3, 1, 5 + 1 + 1, 6, 7 + 100 + 100)  # fmt: skip
    assert (total.user_id, total.session_id, total.tags) == ("ann", "s1", '{"env": "prod"}')


def test_the_traces_model_is_its_llm_calls_not_an_earlier_embeddings() -> None:
    (total,) = roll_up([row("e", kind="embedding", model="text-embedding-3-small"), row("l", kind="llm",
                        model="gpt-4o"), row("l2", kind="llm", model="gpt-4o-mini")])  # fmt: skip
    assert total.model == "gpt-4o"
    (only,) = roll_up([row("e", kind="embedding", model="text-embedding-3-small")])
    assert only.model == "text-embedding-3-small" and only.as_row()[7] == "text-embedding-3-small"


def test_a_batch_without_its_root_keeps_the_first_spans_name_and_no_root() -> None:
    (total,) = roll_up([row("x"), row("y")])
    assert (total.name, total.has_root) == ("x", 0)
    assert total.as_row()[:7] == ("t1", "bot", None, None, "{}", "x", 0)
