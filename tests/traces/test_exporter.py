"""OTLP export: every span forwarded to another OTLP/HTTP endpoint; a dead endpoint is bounded and counted."""

from __future__ import annotations

import socket
from collections.abc import Callable

import openai
import pytest

from rungway.errors import ConfigError
from rungway.traces.config import parse_tracing
from rungway.traces.store import get_trace
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway


def chat(gw: Gateway, secret: str) -> str:
    client = openai.OpenAI(base_url=gw.openai_base, api_key=secret, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "export me"}]
    )
    return str(raw.headers["x-rungway-trace-id"])


def test_spans_are_forwarded_to_the_export_endpoint(gateway_factory: Callable[..., Gateway]) -> None:
    collector = gateway_factory()
    collector_key = collector.create_key("collected")
    config = SIMULATOR_CONFIG + (
        "tracing:\n  export:\n"
        f"    endpoint: {collector.base_url}/v1/traces\n"
        f"    headers: {{Authorization: 'Bearer {collector_key.secret}'}}\n"
        "    flush_interval_ms: 20\n"
    )
    gw = gateway_factory(config)
    trace_id = chat(gw, gw.create_key().secret)
    gw.flush()
    collector.flush()
    found = get_trace(collector.state.engine, trace_id)
    assert found is not None
    (span,) = found[1]
    assert span["kind"] == "llm" and span["tokens_in"] > 0 and span["workload"] == "collected"
    assert b"export me" in span["content"] and b"rungway.cost_usd" in span["content"]


def test_a_dead_export_endpoint_drops_after_retries_and_ingest_goes_on(gateway_factory: Callable[..., Gateway]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    config = SIMULATOR_CONFIG + (
        f"tracing:\n  export:\n    endpoint: http://127.0.0.1:{dead}/v1/traces\n    max_attempts: 2\n"
        "    timeout_s: 1\n    flush_interval_ms: 20\n"
    )
    gw = gateway_factory(config)
    trace_id = chat(gw, gw.create_key().secret)
    gw.flush()
    exporter = next(w for w in gw.state.writers if w.name == "trace-export")
    assert exporter._sink.failed_spans == 1  # type: ignore[attr-defined]
    assert get_trace(gw.state.engine, trace_id) is not None


def test_bad_tracing_config_names_the_key_and_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"rungway.yaml: tracing.export.endpoint: .*Fix: write e.g. http"):
        parse_tracing({"export": {"endpoint": "collector:4318"}})
    with pytest.raises(ConfigError, match=r"tracing.queue_sise: unknown key"):
        parse_tracing({"queue_sise": 5})
