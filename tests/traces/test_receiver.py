"""OTLP/HTTP ingest at /v1/traces: the real SDK exporter, JSON, gzip, auth, malformed bodies, load shedding."""

from __future__ import annotations

import gzip
import secrets

import orjson
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from rungway.traces.store import TraceFilter, get_trace, list_traces
from tests.servers import Gateway
from tests.traces.otlp_helpers import get, otel_tracer, post, raw_export

PB = {"Content-Type": "application/x-protobuf"}


def auth(secret: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", **headers}


def test_spans_from_the_opentelemetry_sdk_exporter_become_one_trace(gateway: Gateway) -> None:
    key = gateway.create_key("support-bot")
    with otel_tracer(gateway.base_url, key.secret) as tracer:
        with tracer.start_as_current_span("invoke_agent support") as root:
            root.set_attribute("gen_ai.operation.name", "invoke_agent")
            root.set_attribute("user.id", "alice")
            root.set_attribute("session.id", "s-42")
            with tracer.start_as_current_span("chat gpt-4o-mini") as llm:
                llm.set_attribute("gen_ai.operation.name", "chat")
                llm.set_attribute("gen_ai.provider.name", "openai")
                llm.set_attribute("gen_ai.request.model", "gpt-4o-mini")
                llm.set_attribute("gen_ai.usage.input_tokens", 1000)
                llm.set_attribute("gen_ai.usage.output_tokens", 500)
                llm.set_attribute("gen_ai.input.messages", '[{"role": "user", "content": "Where is my order?"}]')
            with tracer.start_as_current_span("search kb") as retrieval:
                retrieval.set_attribute("openinference.span.kind", "RETRIEVER")
                retrieval.set_attribute("input.value", "order status")
        trace_id = format(root.get_span_context().trace_id, "032x")
    gateway.flush()
    found = get_trace(gateway.state.engine, trace_id)
    assert found is not None
    trace, spans = found
    assert trace["span_count"] == 3 and trace["name"] == "invoke_agent support"
    assert trace["workload"] == "support-bot" and trace["user_id"] == "alice" and trace["session_id"] == "s-42"
    kinds = {s["name"]: s["kind"] for s in spans}
    assert kinds == {"invoke_agent support": "agent", "chat gpt-4o-mini": "llm", "search kb": "retrieval"}
    llm_span = next(s for s in spans if s["kind"] == "llm")
    assert llm_span["tokens_in"] == 1000 and llm_span["tokens_out"] == 500 and llm_span["service"] == "test-app"
    # gpt-4o-mini is priced: the llm span has a cost and the trace's cost is the sum of its spans'
    assert llm_span["cost_nano"] > 0 and trace["cost_nano"] == sum(s["cost_nano"] for s in spans)


def test_json_and_gzip_exports_are_accepted(gateway: Gateway) -> None:
    key = gateway.create_key()
    trace_hex = secrets.token_hex(16)
    body = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "json-app"}}]},
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": trace_hex,
                                "spanId": "00f067aa0ba902b7",
                                "name": "tool lookup",
                                "startTimeUnixNano": "1700000000000000000",
                                "endTimeUnixNano": "1700000000250000000",
                                "status": {"code": 2, "message": "boom"},
                                "attributes": [
                                    {"key": "gen_ai.operation.name", "value": {"stringValue": "execute_tool"}},
                                    {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "12"}},
                                ],
                            }
                        ]
                    }
                ],
            }
        ]
    }
    answer = post(
        f"{gateway.base_url}/v1/traces",
        content=gzip.compress(orjson.dumps(body)),
        headers=auth(key.secret, **{"Content-Type": "application/json", "Content-Encoding": "gzip"}),
    )
    assert answer.status_code == 200 and answer.json() == {}
    pb = post(
        f"{gateway.base_url}/v1/traces",
        content=gzip.compress(raw_export(bytes.fromhex(secrets.token_hex(16)), ["a", "b"])),
        headers=auth(key.secret, **PB, **{"Content-Encoding": "gzip"}),
    )
    assert pb.status_code == 200
    assert not ExportTraceServiceResponse.FromString(pb.content).HasField("partial_success")
    gateway.flush()
    found = get_trace(gateway.state.engine, trace_hex)
    assert found is not None
    trace, spans = found
    assert spans[0]["kind"] == "tool" and spans[0]["status"] == "error" and spans[0]["status_message"] == "boom"
    assert trace["status"] == "error" and spans[0]["latency_ms"] == pytest.approx(250.0)


def test_spans_with_bad_ids_are_a_partial_success(gateway: Gateway) -> None:
    key = gateway.create_key()
    body = raw_export(b"\x00" * 16, ["zero trace id"]) + raw_export(b"\x07" * 16, ["good"])
    answer = post(f"{gateway.base_url}/v1/traces", content=body, headers=auth(key.secret, **PB))
    assert answer.status_code == 200
    partial = ExportTraceServiceResponse.FromString(answer.content).partial_success
    assert partial.rejected_spans == 1 and "trace_id" in partial.error_message


def test_malformed_payloads_get_400_and_other_ingest_goes_on(gateway: Gateway) -> None:
    key = gateway.create_key()
    url = f"{gateway.base_url}/v1/traces"
    bad = [
        (b"\xff\xff\xff\xff not protobuf", PB),
        (b"{not json", {"Content-Type": "application/json"}),
        (
            orjson.dumps(
                {
                    "resourceSpans": [
                        {"scopeSpans": [{"spans": [{"traceId": "5b" * 16, "spanId": "ee" * 8, "attributes": 7}]}]}
                    ]
                }
            ),
            {"Content-Type": "application/json"},
        ),
        (b"not gzip", {**PB, "Content-Encoding": "gzip"}),
    ]
    for body, headers in bad:
        answer = post(url, content=body, headers=auth(key.secret, **headers))
        assert answer.status_code == 400, body
    assert post(url, content=b"x", headers=auth(key.secret, **{"Content-Type": "text/plain"})).status_code == 415
    good = bytes.fromhex(secrets.token_hex(16))
    assert (
        post(url, content=raw_export(good, ["after the bad ones"]), headers=auth(key.secret, **PB)).status_code == 200
    )
    gateway.flush()
    assert get_trace(gateway.state.engine, good.hex()) is not None


def test_ingest_needs_a_valid_workload_key(gateway: Gateway) -> None:
    url = f"{gateway.base_url}/v1/traces"
    body = raw_export(b"\x05" * 16, ["x"])
    assert post(url, content=body, headers=PB).status_code == 401
    assert post(url, content=body, headers=auth("rw-not-a-key", **PB)).status_code == 401
    assert list_traces(gateway.state.engine, TraceFilter()) == []


def test_full_queue_answers_503_with_retry_after_before_accepting(gateway_factory: object) -> None:
    from tests.conftest import SIMULATOR_CONFIG

    gw = gateway_factory(
        SIMULATOR_CONFIG + "tracing:\n  queue_size: 3\n  flush_interval_ms: 60000\n  batch_size: 1000\n"
    )  # type: ignore[operator]
    key = gw.create_key()
    url = f"{gw.base_url}/v1/traces"
    writer = next(w for w in gw.state.writers if w.name == "spans")
    first = post(url, content=raw_export(b"\x0a" * 16, ["a", "b"]), headers=auth(key.secret, **PB))
    assert first.status_code == 200 and writer.depth == 2
    too_many = post(url, content=raw_export(b"\x0b" * 16, ["c", "d"]), headers=auth(key.secret, **PB))
    assert too_many.status_code == 503 and int(too_many.headers["Retry-After"]) >= 1
    assert writer.depth == 2
    assert post(url, content=raw_export(b"\x0c" * 16, ["e"]), headers=auth(key.secret, **PB)).status_code == 200
    full = post(url, content=raw_export(b"\x0d" * 16, ["f"]), headers=auth(key.secret, **PB))
    assert full.status_code == 503 and full.headers["Retry-After"]
    metrics = get(f"{gw.base_url}/metrics").content.decode()
    assert 'rungway_queue_depth{queue="spans"} 3.0' in metrics
