"""`/v1/messages` sent natively to an Anthropic upstream (the loopback fake): the request reaches Anthropic as
the client wrote it, the answer and every event come back as Anthropic sent them (the gateway's id and the
model asked for aside), usage and cost from Anthropic's own fields; a failover to a chat deployment translates;
what only Anthropic serves is refused where the call cannot go native."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from typing import Any

import anthropic
import orjson
import pytest
from sqlalchemy import select

from rungway.store.schema import requests
from tests.providers.fake_anthropic import USAGE, FakeAnthropic, message, stream_events
from tests.servers import Gateway

CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  claude:
    type: anthropic
    base_url: BASE_URL
    api_key: sk-ant-upstream
  sim:
    type: simulator
models:
  claude-sonnet:
    provider: claude
    model: claude-sonnet-4-5-20250929
    price: {input: 3.00, output: 15.00, cached_input: 0.30}
  error-529: {provider: claude}
  sim-model: {provider: sim, model: gpt-4o-mini}
  flaky: {provider: claude, model: error-529}
routing:
  defaults: {retries: 0}
  workloads:
    test:
      - name: to-the-simulator
        when: {model: flaky}
        strategy: fallback
        targets: [flaky, sim-model]
workloads:
  test: {}
"""

GUARDED = (
    CONFIG
    + """
guardrails:
  default:
    output:
      pii: {action: redact}
"""
)

NATIVE_REQUEST: dict[str, Any] = {
    "model": "claude-sonnet",
    "max_tokens": 100,
    "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
    "messages": [
        {
            "role": "user",
            "content": [
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "A memo."}},
                {"type": "text", "text": "Summarise the memo."},
            ],
        }
    ],
    "thinking": {"type": "enabled", "budget_tokens": 1024},
    "top_k": 5,
    "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 2}],
}


@pytest.fixture
def claude(gateway_factory: Callable[..., Gateway], fake_anthropic: FakeAnthropic) -> Gateway:
    return gateway_factory(CONFIG.replace("BASE_URL", fake_anthropic.base_url))


def post(gateway: Gateway, body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    key = gateway.create_key().secret
    connection.request(
        "POST",
        "/v1/messages",
        orjson.dumps(body),
        {"x-api-key": key, "content-type": "application/json", **(headers or {})},
    )
    answer = connection.getresponse()
    data = answer.read()
    connection.close()
    return answer.status, data


def rows(gateway: Gateway) -> list[Any]:
    gateway.flush()
    with gateway.state.engine.connect() as conn:
        return list(conn.execute(select(requests).order_by(requests.c.ts_start)))


def test_the_request_reaches_anthropic_as_the_client_wrote_it(claude: Gateway, fake_anthropic: FakeAnthropic) -> None:
    status, raw = post(claude, NATIVE_REQUEST, {"anthropic-beta": "web-search-2025-03-05"})
    assert status == 200, raw
    seen = fake_anthropic.seen[0]
    assert seen.body == {**NATIVE_REQUEST, "model": "claude-sonnet-4-5-20250929"}
    assert seen.headers["anthropic-beta"] == "web-search-2025-03-05"
    answer = orjson.loads(raw)
    expected = message({**NATIVE_REQUEST, "model": "claude-sonnet-4-5-20250929"})
    (row,) = rows(claude)
    # Anthropic's answer as it came, with the gateway's Message id (its record's) and the model asked for.
    assert answer == {**expected, "id": "msg_" + row.id.removeprefix("req_"), "model": "claude-sonnet"}
    assert answer["usage"] == USAGE  # cache creation and cache reads as Anthropic counted them
    assert (row.endpoint, row.status, row.provider, row.model_requested) == ("messages", 200, "claude", "claude-sonnet")
    assert row.tokens_cached == 5
    assert (row.tokens_in, row.tokens_out) == (18, 7)
    assert row.cost_nano > 0


def test_a_stream_relays_anthropics_events_as_they_came(claude: Gateway, fake_anthropic: FakeAnthropic) -> None:
    body = {
        "model": "claude-sonnet",
        "max_tokens": 100,
        "stream": True,
        "messages": [{"role": "user", "content": "Hi"}],
    }
    status, raw = post(claude, body)
    assert status == 200, raw
    events = [block for block in raw.decode().split("\n\n") if block]
    expected = stream_events(message({**body, "model": "claude-sonnet-4-5-20250929"}))
    assert [e.split("\n")[0] for e in events] == [f"event: {e['type']}" for e in expected]  # pings included
    sent = [json.loads(e.split("\n", 1)[1].removeprefix("data: ")) for e in events]
    (row,) = rows(claude)
    assert sent[0]["message"]["id"] == "msg_" + row.id.removeprefix("req_")
    assert sent[0]["message"]["model"] == "claude-sonnet"
    assert sent[1:] == expected[1:]
    assert (row.status, row.tokens_out, row.provider) == (200, 7, "claude")
    assert row.ttft_ms is not None


def test_the_official_sdk_gets_anthropics_usage_fields(claude: Gateway) -> None:
    sdk = anthropic.Anthropic(base_url=claude.base_url, api_key=claude.create_key().secret, max_retries=0)
    reply = sdk.messages.create(model="claude-sonnet", max_tokens=50, messages=[{"role": "user", "content": "Hi"}])
    assert (reply.usage.input_tokens, reply.usage.cache_creation_input_tokens, reply.usage.cache_read_input_tokens) == (
        10,
        3,
        5,
    )
    with sdk.messages.stream(
        model="claude-sonnet", max_tokens=50, messages=[{"role": "user", "content": "Hi"}]
    ) as stream:
        final = stream.get_final_message()
    assert final.content[0].type == "text" and final.content[0].text == "Hello from fake Claude."
    assert final.model == "claude-sonnet"


@pytest.mark.parametrize("stream", [False, True])
def test_a_failover_to_a_chat_deployment_is_translated(claude: Gateway, stream: bool) -> None:
    body = {"model": "flaky", "max_tokens": 30, "stream": stream, "messages": [{"role": "user", "content": "Hi"}]}
    status, raw = post(claude, body)
    assert status == 200, raw
    if stream:
        assert raw.startswith(b"event: message_start") and b"event: message_stop" in raw
    else:
        answer = orjson.loads(raw)
        assert answer["type"] == "message" and answer["model"] == "flaky" and answer["content"][0]["text"]
    (row,) = rows(claude)
    assert (row.status, row.provider) == (200, "sim")


@pytest.mark.parametrize("model", ["sim-model", "flaky"])
def test_what_only_anthropic_serves_is_refused_on_a_chat_deployment(claude: Gateway, model: str) -> None:
    status, raw = post(claude, {**NATIVE_REQUEST, "model": model})
    assert status == 400, raw
    error = orjson.loads(raw)
    assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
    assert "messages.0.content.0.type 'document'" in error["error"]["message"]
    assert "natively" in error["error"]["message"]


def test_a_stream_the_output_guard_checks_is_translated(
    gateway_factory: Callable[..., Gateway], fake_anthropic: FakeAnthropic
) -> None:
    guarded = gateway_factory(GUARDED.replace("BASE_URL", fake_anthropic.base_url))
    body = {
        "model": "claude-sonnet",
        "max_tokens": 100,
        "stream": True,
        "messages": [{"role": "user", "content": "Hi"}],
    }
    status, raw = post(guarded, body)
    assert status == 200, raw
    # The gateway's own events (the translation: no cache-creation count), not Anthropic's relayed ones.
    assert b'"cache_creation_input_tokens":0' in raw and b'"cache_creation_input_tokens":3' not in raw
    assert b"event: message_stop" in raw
    status, raw = post(guarded, {**NATIVE_REQUEST, "stream": True})
    assert status == 400 and b"output guard" in raw


def test_an_upstream_error_is_anthropics_error_shape(claude: Gateway) -> None:
    status, raw = post(
        claude, {"model": "error-529", "max_tokens": 10, "messages": [{"role": "user", "content": "Hi"}]}
    )
    assert status == 502
    assert orjson.loads(raw)["error"]["type"] == "api_error"
    status, raw = post(
        claude,
        {"model": "error-529", "max_tokens": 10, "stream": True, "messages": [{"role": "user", "content": "Hi"}]},
    )
    assert status == 502 and orjson.loads(raw)["error"]["type"] == "api_error"
