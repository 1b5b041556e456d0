"""The `openai` provider against a loopback OpenAI-compatible upstream: directly, and end to end
through a gateway with the official openai SDK as the client."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest

from rungway.domain.usage import Usage
from rungway.errors import ConfigError, RateLimited, UpstreamError, UpstreamRejected, UpstreamTimeout
from rungway.providers.base import ChatCall, EmbedCall, Provider
from rungway.providers.openai import OpenAIProvider
from rungway.providers.registry import create_provider
from tests.providers.conftest import drive, make_provider, stream
from tests.providers.fake_openai import FakeOpenAI, completion
from tests.servers import Gateway, write_config

HELLO = [{"role": "user", "content": "Hello"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]


def openai_provider(fake: FakeOpenAI, **options: Any) -> Provider:
    return make_provider("openai", base_url=fake.base_url, api_key="sk-upstream", **options)


def chat(provider: Provider, body: dict[str, Any], timeout_s: float = 600.0) -> Any:
    async def action(p: Provider) -> Any:
        return await p.chat(ChatCall(body, timeout_s=timeout_s))

    return drive(provider, action)


def test_chat_relays_upstream_bytes_unchanged_and_reads_usage(fake_openai: FakeOpenAI) -> None:
    body = {"model": "gpt-4o-mini", "messages": HELLO, "temperature": 0.2}
    result = chat(openai_provider(fake_openai), body)
    assert result.body == orjson.dumps(completion(body))
    assert result.data["choices"][0]["message"]["content"] == "Hello from the fake upstream."
    assert result.usage == Usage(input=12, output=6, cached_input=4)
    seen = fake_openai.seen[0]
    assert seen.path == "/v1/chat/completions"
    assert seen.body == body
    assert seen.headers["Authorization"] == "Bearer sk-upstream"
    assert seen.headers["Content-Type"] == "application/json"


def test_stream_asks_for_usage_and_keeps_the_clients_other_stream_options(fake_openai: FakeOpenAI) -> None:
    body = {"model": "gpt-4o-mini", "messages": HELLO, "stream_options": {"include_obfuscation": False}}
    chunks = stream(openai_provider(fake_openai), body)
    assert fake_openai.seen[0].body["stream"] is True
    assert fake_openai.seen[0].body["stream_options"] == {"include_obfuscation": False, "include_usage": True}
    assert "".join(c.data["choices"][0]["delta"].get("content") or "" for c in chunks if c.data["choices"]) == (
        "Hello from the fake upstream."
    )
    assert chunks[-1].data["choices"] == []
    assert chunks[-1].usage == Usage(input=12, output=6, cached_input=4)
    assert all(c.usage is None for c in chunks[:-1])
    assert all(c.raw == orjson.dumps(c.data) for c in chunks)


@pytest.mark.parametrize("framing", ["lf", "crlf", "nospace"])
def test_stream_reads_sse_framings_split_across_tcp_writes(fake_openai: FakeOpenAI, framing: str) -> None:
    model = {"lf": "gpt-4o-mini", "crlf": "crlf", "nospace": "nospace"}[framing]
    chunks = stream(openai_provider(fake_openai), {"model": model, "messages": HELLO})
    text = "".join(c.data["choices"][0]["delta"].get("content") or "" for c in chunks if c.data["choices"])
    assert text == "Hello from the fake upstream."
    assert chunks[-1].usage is not None and chunks[-1].usage.output == 6


def test_stream_relays_tool_call_deltas(fake_openai: FakeOpenAI) -> None:
    chunks = stream(openai_provider(fake_openai), {"model": "gpt-4o", "messages": HELLO, "tools": TOOLS})
    deltas = [c.data["choices"][0]["delta"] for c in chunks if c.data["choices"]]
    calls = [delta["tool_calls"][0] for delta in deltas if "tool_calls" in delta]
    assert calls[0]["id"] == "call_abc123" and calls[0]["function"]["name"] == "get_weather"
    assert json.loads("".join(call["function"]["arguments"] for call in calls)) == {"city": "Paris"}
    finish = [c.data["choices"][0]["finish_reason"] for c in chunks if c.data["choices"]]
    assert finish[-1] == "tool_calls"


def test_upstream_429_becomes_rate_limited_with_the_upstreams_retry_after(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(RateLimited) as caught:
        chat(openai_provider(fake_openai), {"model": "error-429", "messages": HELLO})
    assert caught.value.retry_after == 7
    assert caught.value.headers() == {"Retry-After": "7"}
    assert "Rate limit reached" in caught.value.message


def test_upstream_400_is_relayed_with_its_status_message_and_code(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(UpstreamRejected) as caught:
        chat(openai_provider(fake_openai), {"model": "error-400", "messages": HELLO})
    error = caught.value
    assert (error.status, error.error_type, error.code) == (400, "invalid_request_error", "invalid_value")
    assert error.message == "Invalid value for 'temperature': must be at most 2."


def test_upstream_500_becomes_502_keeping_the_upstream_status(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(UpstreamError) as caught:
        chat(openai_provider(fake_openai), {"model": "error-500", "messages": HELLO})
    assert caught.value.status == 502 and caught.value.upstream_status == 500


def test_upstream_401_is_the_operators_problem_not_the_callers(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(UpstreamError) as caught:
        chat(openai_provider(fake_openai), {"model": "error-401", "messages": HELLO})
    assert caught.value.status == 502 and caught.value.code == "upstream_auth_failed"


def test_an_answer_that_is_not_json_is_an_upstream_error(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(UpstreamError, match="not JSON"):
        chat(openai_provider(fake_openai), {"model": "not-json", "messages": HELLO})


def test_a_slow_upstream_times_out_with_504(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(UpstreamTimeout) as caught:
        chat(openai_provider(fake_openai, timeout_s=0.3), {"model": "slow", "messages": HELLO})
    assert caught.value.status == 504


def test_a_slow_stream_times_out_with_504(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(UpstreamTimeout):
        stream(openai_provider(fake_openai, timeout_s=0.3), {"model": "slow", "messages": HELLO})


def test_connection_refused_is_an_upstream_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = make_provider("openai", base_url=f"http://127.0.0.1:{port}/v1")
    with pytest.raises(UpstreamError, match="cannot reach the upstream") as caught:
        chat(provider, {"model": "gpt-4o-mini", "messages": HELLO})
    assert caught.value.status == 502


def test_a_stream_cut_mid_way_is_an_upstream_error(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(UpstreamError):
        stream(openai_provider(fake_openai), {"model": "broken-stream", "messages": HELLO})


def test_an_error_inside_a_stream_is_raised(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(UpstreamError, match="overloaded mid-stream") as caught:
        stream(openai_provider(fake_openai), {"model": "stream-error", "messages": HELLO})
    assert caught.value.upstream_status == 503


def test_embeddings_relay_bytes_and_usage(fake_openai: FakeOpenAI) -> None:
    async def action(p: Provider) -> Any:
        return await p.embed(EmbedCall({"model": "text-embedding-3-small", "input": ["a", "b"]}))

    result = drive(openai_provider(fake_openai), action)
    assert len(result.data["data"]) == 2
    assert result.usage == Usage(input=5)
    assert fake_openai.seen[0].path == "/v1/embeddings"


def test_azure_uses_deployment_url_api_version_and_api_key_header(fake_openai: FakeOpenAI) -> None:
    provider = make_provider(
        "openai", base_url=fake_openai.root_url, api_key="azure-key", deployment="prod-gpt4o", api_version="2024-10-21"
    )
    chat(provider, {"model": "gpt-4o", "messages": HELLO})
    seen = fake_openai.seen[0]
    assert seen.path == "/openai/deployments/prod-gpt4o/chat/completions"
    assert seen.query == {"api-version": "2024-10-21"}
    assert seen.headers["api-key"] == "azure-key"
    assert "Authorization" not in seen.headers


def test_azure_deployment_defaults_to_the_model_id(fake_openai: FakeOpenAI) -> None:
    provider = make_provider("openai", base_url=fake_openai.root_url, api_key="k", api_version="2025-01-01-preview")

    async def action(p: Provider) -> Any:
        return await p.embed(EmbedCall({"model": "text-embedding-3-large", "input": "hi"}))

    drive(provider, action)
    assert fake_openai.seen[0].path == "/openai/deployments/text-embedding-3-large/embeddings"
    assert fake_openai.seen[0].query == {"api-version": "2025-01-01-preview"}


def test_keyless_upstream_extra_headers_and_organization(fake_openai: FakeOpenAI) -> None:
    provider = make_provider(
        "openai", base_url=fake_openai.base_url, headers={"x-team": "search"}, organization="org-1", account="acct-a"
    )
    assert provider.account == "acct-a"
    chat(provider, {"model": "llama3", "messages": HELLO})
    headers = fake_openai.seen[0].headers
    assert "Authorization" not in headers
    assert headers["x-team"] == "search" and headers["OpenAI-Organization"] == "org-1"


def test_traceparent_is_forwarded_upstream(fake_openai: FakeOpenAI) -> None:
    traceparent = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"

    async def action(p: Provider) -> Any:
        return await p.chat(ChatCall({"model": "m", "messages": HELLO}, headers={"traceparent": traceparent}))

    drive(openai_provider(fake_openai), action)
    assert fake_openai.seen[0].headers["traceparent"] == traceparent


def test_account_defaults_to_the_provider_name(fake_openai: FakeOpenAI) -> None:
    provider = openai_provider(fake_openai)
    assert isinstance(provider, OpenAIProvider) and provider.account == "up"


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("base_url", "api.openai.com", "expected an http(s) URL"),
        ("timeout_s", -1, "expected a number of seconds > 0"),
        ("max_connections", "many", "expected a whole number > 0"),
        ("retries", 3, "unknown openai provider option"),
        ("proxy", "socks5://proxy:1080", "expected an http:// proxy URL"),
        ("ca_file", "/no/such/ca.pem", "no such file"),
    ],
)
def test_bad_options_name_the_file_line_and_fix(tmp_path: Path, option: str, value: Any, expected: str) -> None:
    text = f"providers:\n  up:\n    type: openai\n    {option}: {json.dumps(value)}\nmodels: {{}}\n"
    config = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        create_provider(config.providers["up"])
    message = str(caught.value)
    assert f"rungway.yaml:2: providers.up.{option}: {expected}" in message
    assert "Fix: " in message


GATEWAY_CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  up:
    type: openai
    base_url: BASE_URL
    api_key: sk-upstream
    timeout_s: 0.5
models:
  gpt-4o-mini:
    provider: up
    model: gpt-4o-mini-2024-07-18
  text-embedding-3-small:
    provider: up
  error-429: {provider: up}
  error-400: {provider: up}
  error-500: {provider: up}
  slow: {provider: up}
  spaced: {provider: up}
  no-usage: {provider: up}
workloads:
  test: {}
"""


@pytest.fixture
def openai_gateway(gateway_factory: Callable[..., Gateway], fake_openai: FakeOpenAI) -> Gateway:
    return gateway_factory(GATEWAY_CONFIG.replace("BASE_URL", fake_openai.base_url))


def test_sdk_chat_through_the_gateway_is_priced_and_recorded(openai_gateway: Gateway, fake_openai: FakeOpenAI) -> None:
    reply = openai_gateway.sdk().chat.completions.create(model="gpt-4o-mini", messages=HELLO)  # type: ignore[arg-type]
    assert reply.choices[0].message.content == "Hello from the fake upstream."
    assert reply.usage is not None and reply.usage.prompt_tokens == 12
    assert fake_openai.seen[0].body["model"] == "gpt-4o-mini-2024-07-18"
    openai_gateway.flush()
    with openai_gateway.state.engine.connect() as conn:
        row = conn.exec_driver_sql("select provider, status, tokens_in, tokens_out from requests").one()
    assert tuple(row) == ("up", 200, 12, 6)


def test_sdk_stream_with_usage_and_tools_through_the_gateway(openai_gateway: Gateway) -> None:
    client = openai_gateway.sdk()
    chunks = list(
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=HELLO,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello from the fake upstream."
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 6
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, tools=TOOLS)  # type: ignore[arg-type]
    call = reply.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}  # type: ignore[union-attr]


@pytest.mark.parametrize(("model", "tokens"), [("spaced", (12, 6)), ("no-usage", (None, 8))])
def test_a_stream_is_priced_with_odd_spacing_and_without_a_usage_chunk(
    openai_gateway: Gateway, model: str, tokens: tuple[int | None, int]
) -> None:
    chunks = list(openai_gateway.sdk().chat.completions.create(model=model, messages=HELLO, stream=True))  # type: ignore[arg-type]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello from the fake upstream."
    openai_gateway.flush()
    with openai_gateway.state.engine.connect() as conn:
        row = conn.exec_driver_sql("select status, tokens_in, tokens_out from requests").one()
    status, tokens_in, tokens_out = row
    assert status == 200 and tokens_out == tokens[1]
    if tokens[0] is None:  # no usage from the upstream: the estimated prompt, the relayed output (29 chars / 4)
        assert tokens_in > 0
    else:
        assert tokens_in == tokens[0]


def test_sdk_embeddings_through_the_gateway(openai_gateway: Gateway) -> None:
    result = openai_gateway.sdk().embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert [d.index for d in result.data] == [0, 1]
    assert result.usage.prompt_tokens == 5


def test_sdk_sees_upstream_errors_as_its_own_error_classes(openai_gateway: Gateway) -> None:
    client = openai_gateway.sdk()
    with pytest.raises(openai.RateLimitError) as limited:
        client.chat.completions.create(model="error-429", messages=HELLO)  # type: ignore[arg-type]
    assert limited.value.response.headers["retry-after"] == "7"
    with pytest.raises(openai.BadRequestError, match="must be at most 2"):
        client.chat.completions.create(model="error-400", messages=HELLO)  # type: ignore[arg-type]
    with pytest.raises(openai.InternalServerError) as failed:
        client.chat.completions.create(model="error-500", messages=HELLO)  # type: ignore[arg-type]
    assert failed.value.status_code == 502
    with pytest.raises(openai.InternalServerError) as slow:
        client.chat.completions.create(model="slow", messages=HELLO)  # type: ignore[arg-type]
    assert slow.value.status_code == 504


def test_sdk_through_an_azure_shaped_upstream(gateway_factory: Callable[..., Gateway], fake_openai: FakeOpenAI) -> None:
    config = GATEWAY_CONFIG.replace("BASE_URL", fake_openai.root_url).replace(
        "api_key: sk-upstream", "api_key: azure-key\n    azure_deployment: gpt4o-prod\n    api_version: 2024-10-21"
    )
    reply = gateway_factory(config).sdk().chat.completions.create(model="gpt-4o-mini", messages=HELLO)  # type: ignore[arg-type]
    assert reply.choices[0].message.content
    seen = fake_openai.seen[0]
    assert seen.path == "/openai/deployments/gpt4o-prod/chat/completions"
    assert seen.query["api-version"] == "2024-10-21" and seen.headers["api-key"] == "azure-key"


def test_sdk_stream_that_fails_before_its_first_chunk_gets_a_proper_status(openai_gateway: Gateway) -> None:
    client = openai_gateway.sdk()
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="error-429", messages=HELLO, stream=True)  # type: ignore[arg-type]
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model="slow", messages=HELLO, stream=True)  # type: ignore[arg-type]
    assert caught.value.status_code == 504
