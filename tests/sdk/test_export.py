"""The SDK's background export (`sdk/export.py`): spans encoded as OTLP protobuf, batched, retried on
429/5xx, bounded in memory, and flushed on request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rungway.domain.workloads import ContentCapture
from rungway.sdk.export import SpanExporter, encode
from rungway.sdk.span import Span
from rungway.traces.otlp_decode import SpanBuilder, decode_protobuf, span_content
from tests.sdk.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    try:
        yield server
    finally:
        server.gate.set()
        server.stop()


def finished(name: str, parent: Span | None = None) -> Span:
    span = Span(name, "tool", parent, {"n": 1, "ratio": 0.5, "ok": True, "tags": ["a", 2], "none": None})
    span.end_ns = span.start_ns + 1_000_000
    return span


def test_encoded_spans_decode_as_the_gateway_stores_them() -> None:
    root = finished("root")
    child = finished("child", root)
    child.set_input({"q": "refunds"})
    child.set_error("boom")
    decoded = decode_protobuf(encode([root, child], "shop"), SpanBuilder("bot", ContentCapture.FULL, lambda _: None))
    assert decoded.rejected == 0
    first, second = decoded.rows
    assert (first.trace_id, first.span_id, first.parent_span_id, first.service) == (
        root.trace_id, root.span_id, None, "shop")  # fmt: skip
    assert (second.parent_span_id, second.kind, second.status, second.status_message) == (
        root.span_id, "tool", "error", "boom")  # fmt: skip
    assert second.latency_ms == 1.0
    attributes = span_content(second.content)["attributes"]
    assert attributes == {"rungway.span.kind": "tool", "n": 1, "ratio": 0.5, "ok": True, "tags": ["a", 2],
                          "input.value": '{"q":"refunds"}'}  # fmt: skip


def test_spans_are_sent_with_the_key_and_flush_waits_for_them(receiver: Receiver) -> None:
    exporter = SpanExporter(receiver.base_url, "rw-key", "shop", timeout_s=5)
    try:
        for name in ("a", "b", "c"):
            exporter.add(finished(name))
        assert exporter.flush(10)
        assert sorted(receiver.span_names()) == ["a", "b", "c"]
        assert receiver.headers[0]["Authorization"] == "Bearer rw-key"
        assert receiver.headers[0]["Content-Type"] == "application/x-protobuf"
    finally:
        exporter.shutdown()


def test_a_busy_or_failing_gateway_is_retried() -> None:
    server = Receiver(503, 429)
    exporter = SpanExporter(server.base_url, "rw-key", "shop", timeout_s=5)
    try:
        exporter.add(finished("retried"))
        assert exporter.flush(10)
        assert server.span_names() == ["retried"] and (exporter.sent, exporter.failed) == (1, 0)
    finally:
        exporter.shutdown()
        server.stop()


def test_a_refusal_is_not_retried_and_counts_as_failed() -> None:
    server = Receiver(401)
    exporter = SpanExporter(server.base_url, "rw-bad", "shop", timeout_s=5)
    try:
        exporter.add(finished("refused"))
        assert not exporter.flush(10)
        assert (exporter.sent, exporter.failed) == (0, 1) and server.span_names() == []
    finally:
        exporter.shutdown()
        server.stop()


def test_a_full_queue_keeps_the_oldest_spans_counts_the_rest_and_flush_does_not_wait_for_them(
    receiver: Receiver,
) -> None:
    exporter = SpanExporter(receiver.base_url, "rw-key", "shop", timeout_s=5, max_queue=2)
    try:
        receiver.gate.clear()
        exporter.add(finished("in-flight"))
        assert receiver.requests.acquire(timeout=10)  # the sender holds it, waiting for an answer
        for name in ("kept-1", "kept-2", "dropped-1", "dropped-2"):
            exporter.add(finished(name))
        assert exporter.dropped == 2
        receiver.gate.set()
        assert not exporter.flush(10)  # not all were delivered; and it returns once the rest are
        assert exporter.sent == 3 and receiver.span_names() == ["in-flight", "kept-1", "kept-2"]
    finally:
        exporter.shutdown()
