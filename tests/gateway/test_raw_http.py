"""Raw HTTP against the gateway: bad input gets OpenAI-style errors; health and metrics answer."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.servers import Gateway


def http(
    url: str, body: bytes | None = None, headers: dict[str, str] | None = None, method: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def error_of(body: bytes) -> dict[str, Any]:
    data = json.loads(body)
    assert set(data["error"]) >= {"message", "type", "code"}
    return dict(data["error"])


@pytest.mark.parametrize(
    ("payload", "code", "fragment"),
    [
        (b"{not json", "invalid_json", "not valid JSON"),
        (b"[1, 2]", "invalid_json", "JSON object"),
        (b"", "invalid_json", "empty"),
        (b'{"messages": [{"role": "user", "content": "x"}]}', "missing_model", "'model'"),
        (b'{"model": "gpt-4o-mini", "messages": "hi"}', None, "'messages'"),
        (b'{"model": "gpt-4o-mini", "messages": [{"content": "x"}]}', None, "messages[0]"),
        (
            b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}',
            None,
            "'stream'",
        ),
    ],
)
def test_malformed_chat_bodies_get_400_naming_the_problem(
    gateway: Gateway, payload: bytes, code: str | None, fragment: str
) -> None:
    key = gateway.create_key()
    status, _, body = http(
        gateway.openai_base + "/chat/completions",
        payload,
        {"Authorization": f"Bearer {key.secret}", "Content-Type": "application/json"},
    )
    assert status == 400
    error = error_of(body)
    assert error["type"] == "invalid_request_error"
    assert fragment in error["message"]
    if code:
        assert error["code"] == code


def test_missing_key_is_401_before_the_body_is_read(gateway: Gateway) -> None:
    status, _, body = http(gateway.openai_base + "/chat/completions", b"{not json")
    assert status == 401
    assert error_of(body)["code"] == "missing_api_key"


def test_revoked_key_is_refused(gateway: Gateway) -> None:
    from rungway.store.keys import key_by_id, revoke_key

    key = gateway.create_key()
    assert revoke_key(gateway.state.engine, key.key.id)
    revoked = key_by_id(gateway.state.engine, key.key.id)
    assert revoked is not None
    gateway.state.directory.put_key(revoked)
    status, _, body = http(gateway.openai_base + "/models", headers={"Authorization": f"Bearer {key.secret}"})
    assert status == 401
    assert error_of(body)["code"] == "api_key_revoked"


def test_unknown_route_and_wrong_method_answer_json(gateway: Gateway) -> None:
    status, _, body = http(gateway.base_url + "/v1/nope")
    assert status == 404 and error_of(body)["type"] == "not_found_error"
    status, headers, body = http(gateway.openai_base + "/chat/completions", method="GET")
    assert status == 405 and "POST" in headers.get("Allow", "")
    error_of(body)


def test_stream_error_before_first_chunk_is_a_json_error(gateway: Gateway) -> None:
    key = gateway.create_key()
    payload = json.dumps(
        {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "x"}]}
    ).encode()
    status, _, body = http(
        gateway.openai_base + "/chat/completions",
        payload,
        {"Authorization": f"Bearer {key.secret}", "x-simulator-error": "timeout"},
    )
    assert status == 504
    assert error_of(body)["type"] == "timeout_error"


def test_health_ready_and_metrics(gateway: Gateway) -> None:
    assert http(gateway.base_url + "/healthz")[0] == 200
    status, _, body = http(gateway.base_url + "/readyz")
    assert status == 200 and json.loads(body)["status"] == "ready"
    key = gateway.create_key("metrics-wl")
    payload = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}).encode()
    assert http(gateway.openai_base + "/chat/completions", payload, {"Authorization": f"Bearer {key.secret}"})[0] == 200
    http(
        gateway.openai_base + "/chat/completions",
        payload,
        {"Authorization": f"Bearer {key.secret}", "x-simulator-error": "500"},
    )
    gateway.flush()
    status, headers, body = http(gateway.base_url + "/metrics")
    text = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert (
        'rungway_requests_total{endpoint="chat.completions",model="gpt-4o-mini",status="200",workload="metrics-wl"} 1.0'
        in text
    )
    assert (
        'rungway_errors_total{endpoint="chat.completions",error_type="upstream_error",workload="metrics-wl"} 1.0'
        in text
    )
    assert "rungway_request_latency_seconds_bucket" in text
    assert 'rungway_tokens_total{direction="output",model="gpt-4o-mini",workload="metrics-wl"}' in text
    assert 'rungway_cost_usd_total{model="gpt-4o-mini",workload="metrics-wl"}' in text
    assert 'rungway_queue_depth{queue="requests"}' in text
    assert 'rungway_records_dropped_total{queue="requests"} 0.0' in text


def test_response_carries_trace_id_and_joins_a_traceparent(gateway: Gateway) -> None:
    key = gateway.create_key()
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    payload = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}).encode()
    status, headers, _ = http(
        gateway.openai_base + "/chat/completions",
        payload,
        {"Authorization": f"Bearer {key.secret}", "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"},
    )
    assert status == 200
    assert headers["x-rungway-trace-id"] == trace_id
