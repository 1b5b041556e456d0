"""Raw HTTP against the gateway: bad input gets OpenAI-style errors; health and metrics answer."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from rungway.domain.keys import Role
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


def _log_row(gateway: Gateway, request_id: str) -> dict[str, Any]:
    gateway.flush()
    status, _, raw = http(gateway.base_url + "/api/logs?limit=1000", headers={"Authorization": "Bearer admin-secret"})
    assert status == 200
    rows = {row["id"]: row for row in json.loads(raw)["data"]}
    assert request_id in rows, f"{request_id} is not in the request log"
    return dict(rows[request_id])


@pytest.mark.parametrize(
    ("headers", "payload", "expected"),
    [
        ({}, {"messages": [{"role": "user", "content": "x"}]}, 200),
        ({}, {"messages": "x"}, 400),
        ({}, {"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]}, 404),
        ({"x-simulator-error": "500"}, {"messages": [{"role": "user", "content": "x"}]}, 502),
        ({"x-simulator-error": "timeout"}, {"stream": True, "messages": [{"role": "user", "content": "x"}]}, 504),
        ({}, {"stream": True, "messages": [{"role": "user", "content": "x"}]}, 200),
    ],
)
def test_every_gateway_answer_names_its_request_log_row_and_trace(
    gateway: Gateway, headers: dict[str, str], payload: dict[str, Any], expected: int
) -> None:
    key = gateway.create_key()
    body = json.dumps({"model": "gpt-4o-mini", **payload}).encode()
    status, answer_headers, _ = http(
        gateway.openai_base + "/chat/completions", body, {"Authorization": f"Bearer {key.secret}", **headers}
    )
    assert status == expected
    row = _log_row(gateway, answer_headers["x-request-id"])
    assert row["status"] == expected
    if expected != 400:  # a body refused before attribution has no trace yet
        assert answer_headers["x-rungway-trace-id"] == row["trace_id"]


def test_answers_outside_the_pipeline_carry_a_request_id(gateway: Gateway) -> None:
    gw_key = gateway.create_key()
    viewer = gateway.create_key(role=Role.VIEWER)
    cases = [
        (gateway.openai_base + "/chat/completions", b"{}", {}, 401),  # no key
        (gateway.openai_base + "/models", None, {"Authorization": "Bearer rw-wrong"}, 401),
        (gateway.openai_base + "/models/nope", None, {"Authorization": f"Bearer {gw_key.secret}"}, 404),
        (gateway.base_url + "/v1/nope", None, {}, 404),
        (gateway.openai_base + "/chat/completions", None, {}, 405),
        (gateway.base_url + "/api/keys", None, {}, 401),
        (gateway.base_url + "/api/keys", b"{}", {"Authorization": f"Bearer {viewer.secret}"}, 403),
        (gateway.base_url + "/api/logs?limit=-1", None, {"Authorization": "Bearer admin-secret"}, 400),
        (gateway.base_url + "/api/workloads/nope", None, {"Authorization": "Bearer admin-secret"}, 404),
        (gateway.base_url + "/api/logs", None, {"Authorization": "Bearer admin-secret"}, 200),
        (gateway.base_url + "/healthz", None, {}, 200),
    ]
    seen: set[str] = set()
    for url, body, headers, expected in cases:
        status, answer_headers, _ = http(url, body, headers)
        assert status == expected, url
        request_id = answer_headers.get("x-request-id", "")
        assert request_id.startswith("req_") and request_id not in seen, (url, answer_headers)
        seen.add(request_id)


def test_a_rate_limited_call_names_its_request_log_row(gateway_factory: Any) -> None:
    from tests.conftest import SIMULATOR_CONFIG

    gateway = gateway_factory(SIMULATOR_CONFIG + "limits:\n  key_rpm: 1\n")
    key = gateway.create_key()
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}).encode()
    statuses = []
    for _ in range(2):
        status, answer_headers, _ = http(
            gateway.openai_base + "/chat/completions", body, {"Authorization": f"Bearer {key.secret}"}
        )
        statuses.append(status)
    assert statuses == [200, 429]
    row = _log_row(gateway, answer_headers["x-request-id"])
    assert row["status"] == 429 and answer_headers["x-rungway-trace-id"] == row["trace_id"]


def test_a_request_the_parser_refuses_gets_an_openai_error_with_a_request_id(gateway: Gateway) -> None:
    """A header with a control character never reaches a handler: the answer is still JSON and quotable."""
    import socket

    with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as sock:
        sock.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\nx-rungway-user: a\x01b\r\n\r\n")
        raw = b""
        while b"\r\n\r\n" not in raw or not raw.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == b"400"
    assert b"x-request-id: req_" in head.lower()
    assert error_of(body)["type"] == "invalid_request_error"
