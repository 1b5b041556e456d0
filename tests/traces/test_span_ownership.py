"""Per-span authorisation: each span belongs to the workload of the key that wrote it.

Workload A's application starts a trace (OTLP); workload B's gateway call joins it with
`traceparent`. Each key reads its own spans and totals; the other workload's spans are placeholders.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

import openai
from click.testing import CliRunner
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from rungway.cli.main import cli
from rungway.traces.store import get_trace
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway
from tests.traces.otlp_helpers import get, post

PB = {"Content-Type": "application/x-protobuf"}
ADMIN = {"Authorization": "Bearer admin-secret"}


def export(trace_id: str, span_id: str, name: str, text: str, *, tokens: int = 100, parent: str = "") -> bytes:
    """One span with content and usage on a priced model."""
    request = ExportTraceServiceRequest()
    span = (
        request.resource_spans.add()
        .scope_spans.add()
        .spans.add(
            trace_id=bytes.fromhex(trace_id),
            span_id=bytes.fromhex(span_id),
            name=name,
            start_time_unix_nano=1_700_000_000_000_000_000,
            end_time_unix_nano=1_700_000_001_000_000_000,
        )
    )
    if parent:
        span.parent_span_id = bytes.fromhex(parent)
    for key, value in {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "input.value": text,
    }.items():
        span.attributes.add(key=key).value.string_value = value
    span.attributes.add(key="gen_ai.usage.input_tokens").value.int_value = tokens
    return request.SerializeToString()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def read(gw: Gateway, path: str, secret: str) -> Any:
    answer = get(f"{gw.base_url}{path}", bearer(secret) if secret != "admin-secret" else ADMIN)
    return answer.status_code, answer.json()


def flat(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for span in spans:
        out.append(span)
        out.extend(flat(span["children"]))
    return out


def joined_trace(gw: Gateway) -> tuple[str, str, str, str]:
    """A's root span over OTLP, B's gateway call joining it; (trace id, A's root span id, A's key, B's key)."""
    key_a, key_b = gw.create_key("team-a"), gw.create_key("team-b")
    trace_id, root = secrets.token_hex(16), secrets.token_hex(8)
    sent = post(
        f"{gw.base_url}/v1/traces", export(trace_id, root, "plan", "A's secret plan"), {**bearer(key_a.secret), **PB}
    )
    assert sent.status_code == 200
    client = openai.OpenAI(base_url=gw.openai_base, api_key=key_b.secret, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "B's private prompt"}],
        extra_headers={"traceparent": f"00-{trace_id}-{root}-01"},
    )
    assert raw.headers["x-rungway-trace-id"] == trace_id
    gw.flush()
    return trace_id, root, key_a.secret, key_b.secret


def test_a_joined_trace_shows_each_workload_only_its_own_spans_and_totals(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG, store_url=store_url)
    trace_id, root, key_a, key_b = joined_trace(gw)

    status, as_a = read(gw, f"/api/traces/{trace_id}", key_a)
    assert status == 200
    assert "B's private prompt" not in json.dumps(as_a)
    spans_a = {s["span_id"]: s for s in flat(as_a["spans"])}
    hidden = [s for s in spans_a.values() if s.get("hidden")]
    assert len(spans_a) == 2 and len(hidden) == 1
    assert hidden[0]["parent_span_id"] == root and hidden[0]["name"] == "hidden: another workload"
    assert not {"input", "output", "attributes", "cost_usd", "cost_nano", "tokens_in", "model"} & hidden[0].keys()
    assert spans_a[root]["input"] == "A's secret plan"
    assert as_a["span_count"] == 1 and as_a["tokens_in"] == 100 and as_a["cost_nano"] == spans_a[root]["cost_nano"]

    status, as_b = read(gw, f"/api/traces/{trace_id}", key_b)
    assert status == 200 and "A's secret plan" not in json.dumps(as_b)
    own = [s for s in flat(as_b["spans"]) if not s.get("hidden")]
    assert [s["input"][0]["content"] for s in own] == ["B's private prompt"]
    assert as_b["span_count"] == 1 and as_b["cost_nano"] == own[0]["cost_nano"] and as_b["model"] == "gpt-4o-mini"

    _, listed_a = read(gw, "/api/traces", key_a)
    _, listed_b = read(gw, "/api/traces", key_b)
    assert [(t["trace_id"], t["workload"], t["span_count"]) for t in listed_a["data"]] == [(trace_id, "team-a", 1)]
    assert [(t["trace_id"], t["workload"], t["span_count"]) for t in listed_b["data"]] == [(trace_id, "team-b", 1)]
    assert listed_b["data"][0]["tokens_in"] == own[0]["tokens_in"]
    # Searching is reading: A's key cannot find a trace by B's prompt text, B's can.
    assert read(gw, "/api/traces?q=private%20prompt", key_a)[1]["data"] == []
    assert [t["trace_id"] for t in read(gw, "/api/traces?q=private%20prompt", key_b)[1]["data"]] == [trace_id]
    assert read(gw, "/api/traces/stats", key_a)[1] == {"traces": 1, "spans": 1}

    _, as_admin = read(gw, f"/api/traces/{trace_id}", "admin-secret")
    assert as_admin["span_count"] == 2 and not any(s.get("hidden") for s in flat(as_admin["spans"]))
    assert as_admin["cost_nano"] == as_a["cost_nano"] + as_b["cost_nano"]

    env = {"RUNGWAY_DATABASE_URL": gw.config.database_url}
    shown = CliRunner().invoke(cli, ["traces", "show", trace_id, "--workload", "team-a", "--format", "json"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "B's private prompt" not in shown.output and "hidden: another workload" in shown.output
    tree = CliRunner().invoke(cli, ["traces", "show", trace_id, "--workload", "team-a"], env=env)
    assert tree.exit_code == 0 and "hidden: another workload" in tree.output and "private" not in tree.output


def test_spans_another_workload_adds_to_a_known_trace_count_only_for_that_workload(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG, store_url=store_url)
    key_a, key_b = gw.create_key("team-a"), gw.create_key("team-b")
    trace_id, root = secrets.token_hex(16), secrets.token_hex(8)
    url = f"{gw.base_url}/v1/traces"
    assert post(url, export(trace_id, root, "plan", "the real plan"), {**bearer(key_a.secret), **PB}).status_code == 200
    gw.flush()
    _, before = read(gw, f"/api/traces/{trace_id}", key_a.secret)
    # B knows the trace id and even A's span id: it sends a forged copy of A's span and a costly child.
    forged = export(trace_id, root, "plan", "forged plan", tokens=10_000_000)
    child = export(trace_id, secrets.token_hex(8), "extra", "injected text", tokens=5_000_000, parent=root)
    for body in (forged, child):
        assert post(url, body, {**bearer(key_b.secret), **PB}).status_code == 200
    gw.flush()
    _, after = read(gw, f"/api/traces/{trace_id}", key_a.secret)
    for column in ("span_count", "tokens_in", "cost_nano", "name", "model"):
        assert after[column] == before[column], column
    visible = [s for s in flat(after["spans"]) if not s.get("hidden")]
    assert [s["input"] for s in visible] == ["the real plan"]
    assert "forged" not in json.dumps(after) and "injected" not in json.dumps(after)
    _, as_b = read(gw, f"/api/traces/{trace_id}", key_b.secret)
    assert as_b["span_count"] == 2 and as_b["tokens_in"] == 15_000_000
    found = get_trace(gw.state.engine, trace_id, "team-a")
    assert found is not None and found[0]["span_count"] == 1


def test_a_key_of_a_workload_without_spans_in_the_trace_gets_404(gateway: Gateway) -> None:
    trace_id, _, _, _ = joined_trace(gateway)
    outsider = gateway.create_key("team-c").secret
    assert read(gateway, f"/api/traces/{trace_id}", outsider)[0] == 404
    assert read(gateway, "/api/traces", outsider)[1]["data"] == []
