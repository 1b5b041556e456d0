"""`/v1/messages` with the official Anthropic SDK as the client, against the simulator and against an Anthropic
upstream (the loopback fake): plain, streamed, a tool-use round trip, count_tokens, both key headers."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable

import anthropic
import pytest
from sqlalchemy import select

from rungway.store.schema import requests
from tests.providers.fake_anthropic import FakeAnthropic
from tests.providers.test_anthropic import GATEWAY_CONFIG
from tests.servers import Gateway

WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def client(gateway: Gateway, key: str | None = None) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.base_url, api_key=key or gateway.create_key().secret, max_retries=0)


def test_create_answers_a_message_and_records_the_call(gateway: Gateway) -> None:
    message = client(gateway).messages.create(
        model="gpt-4o-mini",
        max_tokens=200,
        system="Be brief.",
        messages=[{"role": "user", "content": "Hello there"}],
        metadata={"user_id": "u-7"},
        extra_body={"top_k": 5},
    )
    assert message.type == "message" and message.role == "assistant" and message.model == "gpt-4o-mini"
    assert message.id.startswith("msg_") and message.stop_reason == "end_turn"
    assert message.content[0].type == "text" and message.content[0].text
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    assert message.usage.cache_read_input_tokens == 0
    gateway.flush()
    with gateway.state.engine.connect() as conn:
        row = conn.execute(
            select(requests.c.id, requests.c.endpoint, requests.c.tokens_in, requests.c.tokens_out, requests.c.user_id)
        ).one()
    assert row.endpoint == "messages" and row.id == "req_" + message.id.removeprefix("msg_")
    assert (row.tokens_in, row.tokens_out) == (message.usage.input_tokens, message.usage.output_tokens)
    assert row.user_id == "u-7"


def test_stream_sends_anthropics_events_in_order(gateway: Gateway) -> None:
    with client(gateway).messages.stream(
        model="gpt-4o-mini", max_tokens=300, messages=[{"role": "user", "content": "Tell me a story"}]
    ) as stream:
        kinds = [event.type for event in stream]
        text = "".join(block.text for block in stream.get_final_message().content if block.type == "text")
        final = stream.get_final_message()
    raw = [k for k in kinds if k not in ("text",)]
    assert raw[0] == "message_start" and raw[1] == "content_block_start"
    assert raw[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert "content_block_delta" in raw and text
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 1
    gateway.flush()
    with gateway.state.engine.connect() as conn:
        row = conn.execute(
            select(requests.c.endpoint, requests.c.stream, requests.c.ttft_ms, requests.c.tokens_out)
        ).one()
    assert row.endpoint == "messages" and row.stream and row.ttft_ms is not None
    assert row.tokens_out == final.usage.output_tokens


def test_raw_stream_starts_with_message_start_then_ping(gateway: Gateway) -> None:
    events = list(
        client(gateway).messages.create(
            model="gpt-4o-mini", max_tokens=50, messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    assert [e.type for e in events[:2]] == ["message_start", "content_block_start"]
    assert events[-1].type == "message_stop" and events[-2].type == "message_delta"
    assert events[0].message.usage.input_tokens > 0  # type: ignore[union-attr]


@pytest.mark.parametrize("stream", [False, True])
def test_a_tool_use_round_trip(gateway: Gateway, stream: bool) -> None:
    sdk = client(gateway)
    ask = [{"role": "user", "content": "What is the weather in Paris?"}]
    if stream:
        with sdk.messages.stream(model="gpt-4o-mini", max_tokens=200, messages=ask, tools=[WEATHER]) as events:
            first = events.get_final_message()
    else:
        first = sdk.messages.create(
            model="gpt-4o-mini", max_tokens=200, messages=ask, tools=[WEATHER], tool_choice={"type": "any"}
        )
    assert first.stop_reason == "tool_use"
    use = next(block for block in first.content if block.type == "tool_use")
    assert use.name == "get_weather" and isinstance(use.input, dict) and use.id
    second = sdk.messages.create(
        model="gpt-4o-mini",
        max_tokens=200,
        tools=[WEATHER],
        messages=[
            *ask,
            {"role": "assistant", "content": first.content},  # type: ignore[list-item]
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "18C and sunny"}]},
        ],
    )
    assert second.stop_reason == "end_turn" and second.content[0].type == "text" and second.content[0].text


def test_count_tokens_is_the_gateways_estimate_without_a_call(gateway: Gateway) -> None:
    sdk = client(gateway)
    short = sdk.messages.count_tokens(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    long = sdk.messages.count_tokens(
        model="gpt-4o-mini", system="Be brief.", messages=[{"role": "user", "content": "hello " * 200}], tools=[WEATHER]
    )
    assert 0 < short.input_tokens < long.input_tokens
    gateway.flush()
    with gateway.state.engine.connect() as conn:
        assert conn.execute(select(requests.c.id)).all() == []  # not a model call: nothing recorded
    with pytest.raises(anthropic.AuthenticationError):
        client(gateway, key="rw-wrong").messages.count_tokens(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    with pytest.raises(anthropic.BadRequestError) as bad:
        sdk.messages.count_tokens(model="gpt-4o-mini", messages=[])
    assert bad.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    with urllib.request.urlopen(f"{gateway.base_url}/metrics", timeout=10) as response:
        metrics = response.read().decode()
    counted = (
        'rungway_requests_total{endpoint="messages.count_tokens",model="gpt-4o-mini",status="200",workload="test"} 2.0'
    )
    assert counted in metrics, [line for line in metrics.splitlines() if "count_tokens" in line]
    assert 'endpoint="messages.count_tokens",model="",status="401",workload=""} 1.0' in metrics


def test_x_api_key_and_bearer_both_work(gateway: Gateway) -> None:
    key = gateway.create_key().secret
    by_header = anthropic.Anthropic(base_url=gateway.base_url, api_key=key, max_retries=0)
    by_bearer = anthropic.Anthropic(base_url=gateway.base_url, auth_token=key, max_retries=0)
    for sdk in (by_header, by_bearer):
        reply = sdk.messages.create(
            model="gpt-4o-mini",
            max_tokens=20,
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"anthropic-beta": "some-future-beta-2099-01-01"},
        )
        assert reply.content


@pytest.fixture
def claude_gateway(gateway_factory: Callable[..., Gateway], fake_anthropic: FakeAnthropic) -> Gateway:
    return gateway_factory(GATEWAY_CONFIG.replace("BASE_URL", fake_anthropic.base_url))


def test_through_an_anthropic_upstream(claude_gateway: Gateway, fake_anthropic: FakeAnthropic) -> None:
    sdk = client(claude_gateway)
    message = sdk.messages.create(
        model="claude-sonnet", max_tokens=100, system="Be brief.", messages=[{"role": "user", "content": "Hello"}]
    )
    assert message.content[0].type == "text" and message.content[0].text == "Hello from fake Claude."
    assert message.model == "claude-sonnet"
    # Sent natively: Anthropic's own usage (10 new input tokens, 3 written to and 5 read from the cache).
    assert (message.usage.input_tokens, message.usage.cache_read_input_tokens, message.usage.output_tokens) == (
        10,
        5,
        7,
    )
    seen = fake_anthropic.seen[0]
    assert seen.path == "/v1/messages" and seen.body["model"] == "claude-sonnet-4-5-20250929"
    assert seen.body["max_tokens"] == 100 and seen.body["system"] == "Be brief."
    with sdk.messages.stream(
        model="claude-sonnet", max_tokens=100, messages=[{"role": "user", "content": "Hello"}], tools=[WEATHER]
    ) as stream:
        final = stream.get_final_message()
    use = next(block for block in final.content if block.type == "tool_use")
    assert use.name == "get_weather" and use.input == {"city": "Paris"}
    assert final.stop_reason == "tool_use" and final.usage.output_tokens == 7
    assert json.loads(json.dumps(final.usage.model_dump()))["cache_read_input_tokens"] == 5


def test_an_upstream_failure_is_an_anthropic_api_error(claude_gateway: Gateway) -> None:
    with pytest.raises(anthropic.APIStatusError) as failed:
        client(claude_gateway).messages.create(
            model="error-529", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
    assert failed.value.status_code == 502
    assert failed.value.body["type"] == "error" and failed.value.body["error"]["type"] == "api_error"  # type: ignore[index]
