"""Decoding OTLP/HTTP trace exports (`traces/otlp_decode.py`), protobuf and JSON, into span rows: ids,
times, status, the mapped columns, cost, content by capture mode, and malformed input."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1 import trace_pb2

from rungway.domain.pricing import Price
from rungway.domain.workloads import ContentCapture
from rungway.traces.content import ContentLimits
from rungway.traces.otlp_decode import MalformedExport, SpanBuilder, decode_json, decode_protobuf, span_content

TRACE = bytes(range(1, 17))
SPAN, PARENT = b"\x0a" * 8, b"\x0b" * 8
PRICES = {"gpt-4o-mini": Price(input=Decimal("0.15"), output=Decimal("0.60"))}
ATTRIBUTES: dict[str, Any] = {
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.system": "openai",
    "gen_ai.usage.input_tokens": 1000,
    "gen_ai.usage.output_tokens": 100,
    "session.id": "s-1",
    "gen_ai.prompt.0.content": "What is the capital of France?",
}


def builder(capture: ContentCapture = ContentCapture.FULL, limits: ContentLimits | None = None) -> SpanBuilder:
    return SpanBuilder("support-bot", capture, PRICES.get, limits=limits)


def protobuf_export(attributes: dict[str, Any], trace_id: bytes = TRACE, span_id: bytes = SPAN) -> bytes:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.add(key="service.name").value.string_value = "shop"
    span = resource_spans.scope_spans.add().spans.add(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=PARENT,
        name="chat gpt-4o-mini",
        start_time_unix_nano=1_700_000_000_000_000_000,
        end_time_unix_nano=1_700_000_000_250_000_000,
    )
    for key, value in attributes.items():
        target = span.attributes.add(key=key).value
        if isinstance(value, str):
            target.string_value = value
        else:
            target.int_value = value
    span.status.code = trace_pb2.Status.STATUS_CODE_ERROR
    span.status.message = "upstream timeout"
    return request.SerializeToString()


def json_value(value: Any) -> dict[str, Any]:
    return {"stringValue": value} if isinstance(value, str) else {"intValue": str(value)}


def json_export(attrs: dict[str, Any], **span: Any) -> bytes:
    body = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]},
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": TRACE.hex(),
                                "spanId": SPAN.hex(),
                                "parentSpanId": PARENT.hex(),
                                "name": "chat gpt-4o-mini",
                                "startTimeUnixNano": "1700000000000000000",
                                "endTimeUnixNano": "1700000000250000000",
                                "status": {"code": "STATUS_CODE_ERROR", "message": "upstream timeout"},
                                "attributes": [{"key": k, "value": json_value(v)} for k, v in attrs.items()],
                                **span,
                            }
                        ]
                    }
                ],
            }
        ]
    }
    return json.dumps(body).encode()


@pytest.mark.parametrize("decode", ["protobuf", "json"])
def test_a_span_becomes_a_row_with_its_ids_times_status_and_mapped_columns(decode: str) -> None:
    if decode == "protobuf":
        decoded = decode_protobuf(protobuf_export(ATTRIBUTES), builder())
    else:
        decoded = decode_json(json_export(ATTRIBUTES), builder())
    assert decoded.rejected == 0
    (row,) = decoded.rows
    assert (row.trace_id, row.span_id, row.parent_span_id) == (TRACE.hex(), SPAN.hex(), PARENT.hex())
    assert (row.name, row.kind, row.source, row.workload, row.service) == (
        "chat gpt-4o-mini", "llm", "otlp", "support-bot", "shop")  # fmt: skip
    assert (row.start_time, row.end_time, row.latency_ms) == pytest.approx((1_700_000_000.0, 1_700_000_000.25, 250.0))
    assert (row.status, row.status_message) == ("error", "upstream timeout")
    assert (row.model, row.provider, row.session_id, row.user_id) == ("gpt-4o-mini", "openai", "s-1", None)
    assert (row.tokens_in, row.tokens_out) == (1000, 100)
    assert row.cost_nano == 1000 * 150 + 100 * 600  # priced from the table: 0.15 and 0.60 USD per million
    assert span_content(row.content)["attributes"]["gen_ai.prompt.0.content"] == "What is the capital of France?"


def test_metadata_only_capture_keeps_no_prompts() -> None:
    for decoded in (
        decode_protobuf(protobuf_export(ATTRIBUTES), builder(ContentCapture.METADATA_ONLY)),
        decode_json(json_export(ATTRIBUTES), builder(ContentCapture.METADATA_ONLY)),
    ):
        attributes = span_content(decoded.rows[0].content)["attributes"]
        assert "gen_ai.prompt.0.content" not in attributes and attributes["gen_ai.request.model"] == "gpt-4o-mini"


def test_a_small_full_capture_protobuf_span_is_stored_as_received_and_a_large_one_is_capped() -> None:
    small = decode_protobuf(protobuf_export(ATTRIBUTES), builder()).rows[0].content
    assert small[:1] != b"{"  # the span's own protobuf bytes
    big = {**ATTRIBUTES, "gen_ai.prompt.0.content": "x" * 5000}
    capped = decode_protobuf(protobuf_export(big), builder(limits=ContentLimits(max_attribute_chars=1000)))
    content = capped.rows[0].content
    assert content[:1] == b"{"
    assert len(span_content(content)["attributes"]["gen_ai.prompt.0.content"]) < 1100


def test_an_instrumentations_own_cost_wins_over_the_price_table_within_bounds() -> None:
    own = decode_json(json_export(ATTRIBUTES | {"gen_ai.usage.cost": 0}), builder()).rows[0]
    assert own.cost_nano == 0  # the instrumentation said free: not priced again from the table
    rows = decode_json(
        json_export({}, attributes=[{"key": "gen_ai.usage.cost", "value": {"doubleValue": 0.0123}}]), builder()
    ).rows
    assert rows[0].cost_nano == 12_300_000
    rows = decode_json(
        json_export({}, attributes=[{"key": "gen_ai.usage.cost", "value": {"doubleValue": -5.0}}]), builder()
    ).rows
    assert rows[0].cost_nano == 0


def test_unpriced_models_and_absurd_token_counts_are_bounded() -> None:
    a = {"gen_ai.request.model": "my-model", "gen_ai.usage.input_tokens": 10**15, "gen_ai.usage.output_tokens": -4}
    row = decode_protobuf(protobuf_export(a), builder()).rows[0]
    assert (row.tokens_in, row.tokens_out, row.cost_nano) == (2_147_483_647, 0, 0)


@pytest.mark.parametrize(
    ("trace_id", "span_id"),
    [(b"\x00" * 16, SPAN), (TRACE[:8], SPAN), (TRACE, SPAN[:4]), (TRACE, b"")],
)
def test_protobuf_spans_with_malformed_ids_are_rejected_one_by_one(trace_id: bytes, span_id: bytes) -> None:
    decoded = decode_protobuf(protobuf_export(ATTRIBUTES, trace_id, span_id), builder())
    assert (decoded.rows, decoded.rejected) == ([], 1)
    assert decoded.reason == "spans need a 16-byte trace_id and an 8-byte span_id"


def test_json_ids_may_be_hex_or_base64_and_others_are_rejected() -> None:
    b64 = decode_json(json_export({}, traceId=base64.b64encode(TRACE).decode(), spanId=base64.b64encode(SPAN).decode()),
                      builder())  # fmt: skip
    assert (b64.rows[0].trace_id, b64.rows[0].span_id) == (TRACE.hex(), SPAN.hex())
    upper = decode_json(json_export({}, traceId=TRACE.hex().upper()), builder())
    assert upper.rows[0].trace_id == TRACE.hex()
    for bad in ({"traceId": "0" * 32}, {"traceId": "xyz"}, {"spanId": 7}, {"spanId": ""}):
        decoded = decode_json(json_export({}, **bad), builder())
        assert (decoded.rows, decoded.rejected) == ([], 1), bad


def test_json_accepts_snake_case_keys_and_numeric_status_codes() -> None:
    body = {
        "resource_spans": [{"scope_spans": [{"spans": [{
            "trace_id": TRACE.hex(), "span_id": SPAN.hex(), "name": "s", "status": {"code": 1},
            "start_time_unix_nano": 5_000_000_000, "end_time_unix_nano": 6_000_000_000,
        }]}]}]
    }  # fmt: skip
    (row,) = decode_json(json.dumps(body).encode(), builder()).rows
    assert (row.status, row.start_time, row.latency_ms, row.parent_span_id, row.service) == (
        "ok",
        5.0,
        1000.0,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1]", "the body must be a JSON object with `resourceSpans`"),
        (b'{"resourceSpans": [{"scopeSpans": "x"}]}', "not an OTLP/JSON trace export"),
        (json_export({}, attributes={"k": 1}), "attributes must be a list of {key, value}"),
    ],
)
def test_a_json_body_that_is_not_an_export_is_refused_whole(body: bytes, message: str) -> None:
    with pytest.raises(MalformedExport, match=message):
        decode_json(body, builder())


def test_a_protobuf_body_that_is_not_an_export_is_refused_whole() -> None:
    with pytest.raises(MalformedExport, match="not an OTLP ExportTraceServiceRequest protobuf"):
        decode_protobuf(b"\xff\xff\xff\xff", builder())


def test_attribute_values_of_every_type_are_read() -> None:
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add(trace_id=TRACE, span_id=SPAN, name="s")
    values = span.attributes
    values.add(key="b").value.bool_value = True
    values.add(key="d").value.double_value = 0.5
    values.add(key="i").value.int_value = 7
    values.add(key="raw").value.bytes_value = b"\x01\x02"
    values.add(key="list").value.array_value.values.add().string_value = "x"
    values.add(key="map").value.kvlist_value.values.add(key="k").value.string_value = "v"
    values.add(key="empty")
    row = decode_protobuf(request.SerializeToString(), builder(ContentCapture.METADATA_ONLY)).rows[0]
    attributes = span_content(row.content)["attributes"]
    assert attributes == {"b": True, "d": 0.5, "i": 7, "raw": "0102", "list": ["x"], "map": {"k": "v"}, "empty": None}
