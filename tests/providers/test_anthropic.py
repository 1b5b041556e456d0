"""The `anthropic` provider against a loopback Messages API: directly, and end to end through a
gateway with the official openai SDK as the client."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import openai
import pytest

from rungway.domain.usage import Usage
from rungway.errors import ConfigError, RateLimited, UpstreamError, UpstreamRejected, UpstreamTimeout
from rungway.providers.base import ChatCall, EmbedCall, Provider
from tests.providers.conftest import drive, make_provider, stream
from tests.providers.fake_anthropic import FakeAnthropic
from tests.servers import Gateway

HELLO = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]


def claude(fake: FakeAnthropic, **options: Any) -> Provider:
    return make_provider("anthropic", base_url=fake.base_url, api_key="sk-ant-upstream", **options)


def chat(provider: Provider, body: dict[str, Any]) -> Any:
    async def action(p: Provider) -> Any:
        return await p.chat(ChatCall(body))

    return drive(provider, action)


def test_chat_sends_a_messages_request_with_anthropic_headers(fake_anthropic: FakeAnthropic) -> None:
    result = chat(claude(fake_anthropic), {"model": "claude-sonnet-4-5", "messages": HELLO, "user": "u-1"})
    assert result.data["object"] == "chat.completion"
    assert result.data["choices"][0]["message"]["content"] == "Hello from fake Claude."
    assert result.data["choices"][0]["finish_reason"] == "stop"
    assert result.usage == Usage(input=18, output=7, cached_input=5)
    assert json.loads(result.body) == result.data
    seen = fake_anthropic.seen[0]
    assert seen.path == "/v1/messages"
    assert seen.headers["x-api-key"] == "sk-ant-upstream"
    assert seen.headers["anthropic-version"] == "2023-06-01"
    assert "Authorization" not in seen.headers
    assert seen.body["system"] == "Be brief." and seen.body["max_tokens"] == 4096
    assert seen.body["metadata"] == {"user_id": "u-1"} and "stream" not in seen.body


def test_api_version_beta_and_max_tokens_options(fake_anthropic: FakeAnthropic) -> None:
    provider = claude(fake_anthropic, api_version="2024-01-01", beta=["a-1", "b-2"], max_tokens=2)
    result = chat(provider, {"model": "claude", "messages": HELLO})
    headers = fake_anthropic.seen[0].headers
    assert headers["anthropic-version"] == "2024-01-01" and headers["anthropic-beta"] == "a-1,b-2"
    assert result.data["choices"][0]["finish_reason"] == "length"


def test_stream_translates_events_to_chunks_and_ends_with_usage(fake_anthropic: FakeAnthropic) -> None:
    chunks = stream(claude(fake_anthropic), {"model": "claude", "messages": HELLO, "stop": ["fake"]})
    assert fake_anthropic.seen[0].body["stream"] is True
    assert fake_anthropic.seen[0].body["stop_sequences"] == ["fake"]
    text = "".join(c.data["choices"][0]["delta"].get("content") or "" for c in chunks if c.data["choices"])
    assert text == "Hello from"
    assert [c.data["choices"][0]["finish_reason"] for c in chunks if c.data["choices"]][-1] == "stop"
    assert chunks[-1].data["choices"] == [] and chunks[-1].usage == Usage(input=18, output=7, cached_input=5)
    assert all(c.usage is None for c in chunks[:-1])
    assert all(c.data["object"] == "chat.completion.chunk" for c in chunks)


def test_stream_tool_calls(fake_anthropic: FakeAnthropic) -> None:
    chunks = stream(claude(fake_anthropic), {"model": "claude", "messages": HELLO, "tools": TOOLS})
    deltas = [c.data["choices"][0]["delta"] for c in chunks if c.data["choices"]]
    calls = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
    assert calls[0]["id"] == "toolu_01A" and calls[0]["function"]["name"] == "get_weather"
    assert json.loads("".join(c["function"]["arguments"] for c in calls)) == {"city": "Paris"}


@pytest.mark.parametrize("mode", ["chat", "stream"])
def test_overloaded_529_becomes_502(fake_anthropic: FakeAnthropic, mode: str) -> None:
    body = {"model": "error-529", "messages": HELLO}
    with pytest.raises(UpstreamError, match="Overloaded") as caught:
        chat(claude(fake_anthropic), body) if mode == "chat" else stream(claude(fake_anthropic), body)
    assert caught.value.status == 502 and caught.value.upstream_status == 529


def test_rate_limit_keeps_anthropics_retry_after(fake_anthropic: FakeAnthropic) -> None:
    with pytest.raises(RateLimited) as caught:
        chat(claude(fake_anthropic), {"model": "error-429", "messages": HELLO})
    assert caught.value.retry_after == 3


def test_invalid_request_is_relayed_as_400(fake_anthropic: FakeAnthropic) -> None:
    with pytest.raises(UpstreamRejected) as caught:
        chat(claude(fake_anthropic), {"model": "error-400", "messages": HELLO})
    assert caught.value.status == 400 and caught.value.error_type == "invalid_request_error"
    assert "must be non-empty" in caught.value.message


def test_wrong_key_is_an_upstream_error_not_the_callers_401(fake_anthropic: FakeAnthropic) -> None:
    provider = make_provider("anthropic", base_url=fake_anthropic.base_url, api_key="wrong")
    with pytest.raises(UpstreamError) as caught:
        chat(provider, {"model": "claude", "messages": HELLO})
    assert caught.value.status == 502 and caught.value.code == "upstream_auth_failed"


def test_an_error_event_mid_stream_is_raised(fake_anthropic: FakeAnthropic) -> None:
    with pytest.raises(UpstreamError, match="Overloaded") as caught:
        stream(claude(fake_anthropic), {"model": "stream-error", "messages": HELLO})
    assert caught.value.upstream_status == 529


def test_a_stream_without_message_stop_is_an_upstream_error(fake_anthropic: FakeAnthropic) -> None:
    with pytest.raises(UpstreamError, match="message_stop"):
        stream(claude(fake_anthropic), {"model": "truncated", "messages": HELLO})


def test_slow_upstream_times_out(fake_anthropic: FakeAnthropic) -> None:
    with pytest.raises(UpstreamTimeout):
        chat(claude(fake_anthropic, timeout_s=0.3), {"model": "slow", "messages": HELLO})


def test_embeddings_are_refused_with_a_clear_400(fake_anthropic: FakeAnthropic) -> None:
    async def action(p: Provider) -> Any:
        return await p.embed(EmbedCall({"model": "claude", "input": "hi"}))

    with pytest.raises(UpstreamRejected, match="no embeddings API") as caught:
        drive(claude(fake_anthropic), action)
    assert caught.value.status == 400
    assert fake_anthropic.seen == []


GATEWAY_CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  claude:
    type: anthropic
    base_url: BASE_URL
    api_key: sk-ant-upstream
models:
  claude-sonnet:
    provider: claude
    model: claude-sonnet-4-5-20250929
    price: {input: 3.00, output: 15.00, cached_input: 0.30}
  error-529: {provider: claude}
  claude-embed: {provider: claude}
workloads:
  test: {}
"""


@pytest.fixture
def claude_gateway(gateway_factory: Callable[..., Gateway], fake_anthropic: FakeAnthropic) -> Gateway:
    return gateway_factory(GATEWAY_CONFIG.replace("BASE_URL", fake_anthropic.base_url))


def test_sdk_chat_through_the_gateway(claude_gateway: Gateway, fake_anthropic: FakeAnthropic) -> None:
    reply = claude_gateway.sdk().chat.completions.create(model="claude-sonnet", messages=HELLO)  # type: ignore[arg-type]
    assert reply.choices[0].message.content == "Hello from fake Claude."
    assert reply.usage is not None and reply.usage.prompt_tokens == 18
    assert reply.usage.prompt_tokens_details is not None and reply.usage.prompt_tokens_details.cached_tokens == 5
    assert fake_anthropic.seen[0].body["model"] == "claude-sonnet-4-5-20250929"
    claude_gateway.flush()
    with claude_gateway.state.engine.connect() as conn:
        row = conn.exec_driver_sql("select provider, status, tokens_in, tokens_out from requests").one()
    assert tuple(row) == ("claude", 200, 18, 7)


def test_sdk_stream_with_usage_and_tool_calls_through_the_gateway(claude_gateway: Gateway) -> None:
    client = claude_gateway.sdk()
    chunks = list(
        client.chat.completions.create(
            model="claude-sonnet",
            messages=HELLO,  # type: ignore[arg-type]
            tools=TOOLS,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    calls = [c.choices[0].delta.tool_calls[0] for c in chunks if c.choices and c.choices[0].delta.tool_calls]
    assert calls[0].function is not None and calls[0].function.name == "get_weather"
    assert json.loads("".join((c.function.arguments or "") for c in calls if c.function)) == {"city": "Paris"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 7


def test_sdk_json_schema_through_the_gateway(claude_gateway: Gateway) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    reply = claude_gateway.sdk().chat.completions.create(
        model="claude-sonnet",
        messages=HELLO,  # type: ignore[arg-type]
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema}},
    )
    assert json.loads(reply.choices[0].message.content or "") == {"name": "Paris", "age": 3}
    assert reply.choices[0].finish_reason == "stop"


def test_sdk_errors_through_the_gateway(claude_gateway: Gateway) -> None:
    client = claude_gateway.sdk()
    with pytest.raises(openai.InternalServerError) as overloaded:
        client.chat.completions.create(model="error-529", messages=HELLO)  # type: ignore[arg-type]
    assert overloaded.value.status_code == 502
    with pytest.raises(openai.BadRequestError, match="no 'n'"):
        client.chat.completions.create(model="claude-sonnet", messages=HELLO, n=2)  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError, match="no embeddings API"):
        client.embeddings.create(model="claude-embed", input="hi")


def test_a_bad_beta_option_names_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"rungway.yaml:5: providers.up.beta: expected a string or a list.*Fix: "):
        make_provider("anthropic", api_key="k", beta={"x": 1})
