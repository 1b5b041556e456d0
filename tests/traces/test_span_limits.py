"""Bounds on what a span stores: caps per attribute and per span, clean columns, redaction off the loop."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator

import openai
import orjson
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

import rungway.traces.redaction as redaction
from rungway.traces.otlp_decode import span_content
from rungway.traces.store import TraceFilter, get_trace, list_traces
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway
from tests.traces.otlp_helpers import get, post, raw_export

PB = {"Content-Type": "application/x-protobuf"}
CAPS = "tracing:\n  max_attribute_chars: 1000\n  max_span_chars: 4000\n"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", **PB}


def test_a_huge_span_name_and_attributes_are_cut_and_the_cut_is_recorded(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG + CAPS, store_url=store_url)
    trace_id = bytes.fromhex(secrets.token_hex(16))
    body = raw_export(
        trace_id,
        ["n" * 2_000_000],
        {"input.value": "i" * 50_000, "output.value": "o" * 3_000, "gen_ai.request.model": "gpt-4o", "small": "kept"},
    )
    assert post(f"{gw.base_url}/v1/traces", body, bearer(gw.create_key().secret)).status_code == 200
    gw.flush()
    found = get_trace(gw.state.engine, trace_id.hex())
    assert found is not None
    (span,) = found[1]
    assert span["name"] == "n" * 1024
    attributes = span_content(span["content"])["attributes"]
    assert attributes["input.value"] == "i" * 1000 and len(attributes["output.value"]) <= 1000
    assert attributes["small"] == "kept" and attributes["gen_ai.request.model"] == "gpt-4o"
    assert attributes["rungway.truncated"] == {"name": 2_000_000, "input.value": 50_000, "output.value": 3_000}
    assert len(span["content"]) < 4000 + 500


def test_caller_values_with_nul_or_past_the_column_are_cleaned_the_same_on_every_store(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG, store_url=store_url)
    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    resource.resource.attributes.add(key="service.name").value.string_value = "svc\x00" + "s" * 400
    trace_id = secrets.token_hex(16)
    span = resource.scope_spans.add().spans.add(
        trace_id=bytes.fromhex(trace_id),
        span_id=b"\x05" * 8,
        name="na\x00me",
        start_time_unix_nano=1,
        end_time_unix_nano=2,
    )
    span.status.message = "bad\x00" * 2000
    values = {"user.id": "u\x00" + "u" * 600, "session.id": "s" * 300, "gen_ai.request.model": "m\x00" * 200}
    for key, value in values.items():
        span.attributes.add(key=key).value.string_value = value
    span.attributes.add(key="gen_ai.usage.input_tokens").value.int_value = 10**17
    span.attributes.add(key="gen_ai.usage.cost").value.double_value = float("inf")
    assert (
        post(f"{gw.base_url}/v1/traces", request.SerializeToString(), bearer(gw.create_key().secret)).status_code == 200
    )
    gw.flush()
    found = get_trace(gw.state.engine, trace_id)
    assert found is not None
    (stored,) = found[1]
    assert stored["name"] == "name" and stored["user_id"] == "u" * 256 and stored["session_id"] == "s" * 256
    assert stored["model"] == "m" * 128 and stored["service"] == "svc" + "s" * 253
    assert "\x00" not in stored["status_message"] and len(stored["status_message"]) == 4096
    assert stored["tokens_in"] == 2**31 - 1 and stored["cost_nano"] >= 0
    assert [t["trace_id"] for t in list_traces(gw.state.engine, TraceFilter(user="u" * 256))] == [trace_id]


@pytest.fixture
def redaction_gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event, list[int]]]:
    """Redaction that announces itself, records its thread, and waits until the test lets it go on."""
    started, release, threads = threading.Event(), threading.Event(), []
    original = redaction.redact_text

    def gated(text: str) -> str:
        threads.append(threading.get_ident())
        started.set()
        release.wait(60)
        return original(text)

    monkeypatch.setattr(redaction, "redact_text", gated)
    try:
        yield started, release, threads
    finally:
        release.set()


def test_a_large_redacted_call_is_redacted_off_the_event_loop_and_healthz_stays_answered(
    gateway_factory: Callable[..., Gateway], redaction_gate: tuple[threading.Event, threading.Event, list[int]]
) -> None:
    started, release, threads = redaction_gate
    gw = gateway_factory(SIMULATOR_CONFIG + "  secretive:\n    capture: redacted\n")
    key = gw.create_key("secretive")
    big = "my key sk-proj-abcdefghijklmnopqrstuvwxyz0123 " + "lorem ipsum " * 300_000
    client = openai.OpenAI(base_url=gw.openai_base, api_key=key.secret, max_retries=0, timeout=60)
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": big}]
    )
    trace_id = raw.headers["x-rungway-trace-id"]
    flushed = threading.Thread(target=gw.flush)
    flushed.start()
    assert started.wait(60), "the span's content was never redacted"
    # Redaction is now running (held at its first string): the event loop must still answer.
    assert get(f"{gw.base_url}/healthz").status_code == 200
    release.set()
    flushed.join(60)
    assert gw.loops.thread.ident not in threads
    found = get_trace(gw.state.engine, trace_id)
    assert found is not None
    content = found[1][0]["content"]
    assert len(content) < 1_048_576 + 10_000 and b"sk-proj-abcdefghij" not in content
    assert b"my key [REDACTED:api_key] lorem ipsum" in content
    assert orjson.loads(content)["attributes"]["rungway.truncated"]["gen_ai.input.messages"] > 3_000_000
