"""The `gemini` provider against a loopback Gemini API: directly, and end to end through a gateway
with the official openai SDK as the client."""

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
from tests.providers.fake_gemini import SIGNATURE, FakeGemini
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


def gemini(fake: FakeGemini, **options: Any) -> Provider:
    return make_provider("gemini", base_url=fake.base_url, api_key="gemini-upstream-key", **options)


def chat(provider: Provider, body: dict[str, Any]) -> Any:
    async def action(p: Provider) -> Any:
        return await p.chat(ChatCall(body))

    return drive(provider, action)


def test_chat_sends_generate_content_with_the_key_header(fake_gemini: FakeGemini) -> None:
    result = chat(gemini(fake_gemini), {"model": "gemini-2.5-flash", "messages": HELLO})
    assert result.data["object"] == "chat.completion"
    assert result.data["choices"][0]["message"]["content"] == "Hello from fake Gemini."
    assert result.data["choices"][0]["finish_reason"] == "stop"
    assert result.usage == Usage(input=10, output=7, cached_input=4)
    assert json.loads(result.body) == result.data
    seen = fake_gemini.seen[0]
    assert seen.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert seen.headers["x-goog-api-key"] == "gemini-upstream-key" and "Authorization" not in seen.headers
    assert seen.body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}


def test_safety_settings_option_is_sent(fake_gemini: FakeGemini) -> None:
    settings = [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}]
    chat(gemini(fake_gemini, safety_settings=settings), {"model": "g", "messages": HELLO})
    assert fake_gemini.seen[0].body["safetySettings"] == settings


def test_stream_asks_for_sse_and_ends_with_usage(fake_gemini: FakeGemini) -> None:
    chunks = stream(gemini(fake_gemini), {"model": "thinking", "messages": HELLO, "stop": ["fake"]})
    seen = fake_gemini.seen[0]
    assert seen.path == "/v1beta/models/thinking:streamGenerateContent" and seen.query == {"alt": "sse"}
    text = "".join(c.data["choices"][0]["delta"].get("content") or "" for c in chunks if c.data["choices"])
    assert text == "Hello from"
    assert [c.data["choices"][0]["finish_reason"] for c in chunks if c.data["choices"]][-1] == "stop"
    assert chunks[-1].data["choices"] == [] and chunks[-1].usage == Usage(input=10, output=10, cached_input=4)
    assert chunks[-1].data["usage"]["completion_tokens_details"]["reasoning_tokens"] == 3
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_tool_calls(fake_gemini: FakeGemini) -> None:
    chunks = stream(gemini(fake_gemini), {"model": "g", "messages": HELLO, "tools": TOOLS})
    deltas = [c.data["choices"][0]["delta"] for c in chunks if c.data["choices"]]
    calls = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
    assert calls[0]["function"]["name"] == "get_weather" and calls[0]["id"].startswith("call_")
    assert json.loads(calls[0]["function"]["arguments"]) == {"city": "Paris"}


@pytest.mark.parametrize("mode", ["chat", "stream"])
@pytest.mark.parametrize("model", ["error-500", "error-503"])
def test_server_errors_become_502(fake_gemini: FakeGemini, mode: str, model: str) -> None:
    body = {"model": model, "messages": HELLO}
    with pytest.raises(UpstreamError) as caught:
        chat(gemini(fake_gemini), body) if mode == "chat" else stream(gemini(fake_gemini), body)
    assert caught.value.status == 502 and caught.value.upstream_status == int(model[-3:])


def test_rate_limit_takes_the_retry_delay_from_the_body(fake_gemini: FakeGemini) -> None:
    with pytest.raises(RateLimited) as caught:
        chat(gemini(fake_gemini), {"model": "error-429", "messages": HELLO})
    assert caught.value.retry_after == 7


@pytest.mark.parametrize(("model", "status"), [("error-400", 400), ("error-404", 404)])
def test_client_errors_are_relayed_with_the_upstream_status(fake_gemini: FakeGemini, model: str, status: int) -> None:
    with pytest.raises(UpstreamRejected) as caught:
        chat(gemini(fake_gemini), {"model": model, "messages": HELLO})
    assert caught.value.status == status


def test_wrong_key_is_an_upstream_error_not_the_callers_400(fake_gemini: FakeGemini) -> None:
    provider = make_provider("gemini", base_url=fake_gemini.base_url, api_key="wrong")
    with pytest.raises(UpstreamError) as caught:
        chat(provider, {"model": "g", "messages": HELLO})
    assert caught.value.status == 502 and caught.value.code == "upstream_auth_failed"


def test_an_error_mid_stream_is_raised(fake_gemini: FakeGemini) -> None:
    with pytest.raises(UpstreamError, match="overloaded") as caught:
        stream(gemini(fake_gemini), {"model": "stream-error", "messages": HELLO})
    assert caught.value.upstream_status == 503


def test_a_stream_without_finish_reason_is_an_upstream_error(fake_gemini: FakeGemini) -> None:
    with pytest.raises(UpstreamError, match="finishReason"):
        stream(gemini(fake_gemini), {"model": "truncated", "messages": HELLO})


@pytest.mark.parametrize("mode", ["chat", "stream"])
@pytest.mark.parametrize("model", ["bad-index", "bad-name", "bad-args", "not-json", "no-candidates"])
def test_hostile_answers_are_clean_502s(fake_gemini: FakeGemini, mode: str, model: str) -> None:
    body = {"model": model, "messages": HELLO}
    with pytest.raises(UpstreamError) as caught:
        chat(gemini(fake_gemini), body) if mode == "chat" else stream(gemini(fake_gemini), body)
    assert caught.value.status == 502


def test_hostile_usage_is_flagged_not_trusted(fake_gemini: FakeGemini) -> None:
    result = chat(gemini(fake_gemini), {"model": "bad-usage", "messages": HELLO})
    assert result.usage.anomaly is not None and result.usage.input == 0


def test_slow_upstream_times_out(fake_gemini: FakeGemini) -> None:
    with pytest.raises(UpstreamTimeout):
        chat(gemini(fake_gemini, timeout_s=0.3), {"model": "slow", "messages": HELLO})


def test_embeddings_use_batch_embed_contents(fake_gemini: FakeGemini) -> None:
    async def action(p: Provider) -> Any:
        return await p.embed(EmbedCall({"model": "text-embedding-004", "input": ["a", "b"], "dimensions": 4}))

    result = drive(gemini(fake_gemini), action)
    assert [d["embedding"] for d in result.data["data"]] == [[0.5] * 4, [0.5] * 4]
    assert fake_gemini.seen[0].path == "/v1beta/models/text-embedding-004:batchEmbedContents"
    assert result.usage is not None and result.usage.input > 0


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"schema_style": "yaml"}, r"providers.up.schema_style: expected one of json_schema, openapi"),
        ({"safety_settings": {"x": 1}}, r"providers.up.safety_settings: expected a list"),
        ({"safety_settings": [{"category": "C"}]}, r"providers.up.safety_settings: item 0"),
        ({"temperature": 1}, r"providers.up"),
    ],
)
def test_bad_options_name_file_line_key_and_fix(options: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=rf"rungway.yaml:5: {match}") as caught:
        make_provider("gemini", api_key="k", **options)
    assert "Fix" in str(caught.value) or "fix" in str(caught.value).lower()


GATEWAY_CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  google:
    type: gemini
    base_url: BASE_URL
    api_key: gemini-upstream-key
models:
  flash:
    provider: google
    model: gemini-2.5-flash
    price: {input: 0.30, output: 2.50, cached_input: 0.075}
  thinking: {provider: google}
  error-429: {provider: google}
  error-503: {provider: google}
  error-400: {provider: google}
  stream-error: {provider: google}
  bad-index: {provider: google}
  text-embedding-004: {provider: google}
workloads:
  test: {}
"""


@pytest.fixture
def gemini_gateway(gateway_factory: Callable[..., Gateway], fake_gemini: FakeGemini) -> Gateway:
    return gateway_factory(GATEWAY_CONFIG.replace("BASE_URL", fake_gemini.base_url))


def test_sdk_chat_through_the_gateway(gemini_gateway: Gateway, fake_gemini: FakeGemini) -> None:
    reply = gemini_gateway.sdk().chat.completions.create(model="flash", messages=HELLO)  # type: ignore[arg-type]
    assert reply.choices[0].message.content == "Hello from fake Gemini."
    assert reply.usage is not None and reply.usage.prompt_tokens == 10
    assert reply.usage.prompt_tokens_details is not None and reply.usage.prompt_tokens_details.cached_tokens == 4
    assert fake_gemini.seen[0].path.endswith("/models/gemini-2.5-flash:generateContent")
    gemini_gateway.flush()
    with gemini_gateway.state.engine.connect() as conn:
        row = conn.exec_driver_sql("select provider, status, tokens_in, tokens_out from requests").one()
    assert tuple(row) == ("google", 200, 10, 7)


def test_sdk_stream_with_usage_through_the_gateway(gemini_gateway: Gateway) -> None:
    chunks = list(
        gemini_gateway.sdk().chat.completions.create(
            model="thinking",
            messages=HELLO,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello from fake Gemini."
    usage = chunks[-1].usage
    assert usage is not None and usage.completion_tokens == 10
    assert usage.completion_tokens_details is not None and usage.completion_tokens_details.reasoning_tokens == 3


def test_sdk_tool_round_trip_through_the_gateway(gemini_gateway: Gateway, fake_gemini: FakeGemini) -> None:
    client = gemini_gateway.sdk()
    first = client.chat.completions.create(model="thinking", messages=HELLO, tools=TOOLS)  # type: ignore[arg-type]
    assert first.choices[0].finish_reason == "tool_calls"
    call = (first.choices[0].message.tool_calls or [])[0]
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}  # type: ignore[union-attr]
    messages = [
        *HELLO,
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"sky": "grey"}'},
    ]
    second = client.chat.completions.create(model="thinking", messages=messages, tools=TOOLS)  # type: ignore[arg-type]
    assert second.choices[0].message.content == "It is grey there."
    sent = fake_gemini.seen[1].body["contents"]
    assert sent[1]["parts"][0]["thoughtSignature"] == SIGNATURE
    assert sent[2]["parts"][0]["functionResponse"] == {"name": "get_weather", "response": {"sky": "grey"}}


def test_sdk_json_schema_through_the_gateway(gemini_gateway: Gateway) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    reply = gemini_gateway.sdk().chat.completions.create(
        model="flash",
        messages=HELLO,  # type: ignore[arg-type]
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema}},
    )
    assert json.loads(reply.choices[0].message.content or "") == {"name": "Paris"}


def test_sdk_errors_through_the_gateway(gemini_gateway: Gateway) -> None:
    client = gemini_gateway.sdk().with_options(max_retries=0)
    with pytest.raises(openai.RateLimitError) as limited:
        client.chat.completions.create(model="error-429", messages=HELLO)  # type: ignore[arg-type]
    assert limited.value.response.headers["retry-after"] == "7"
    with pytest.raises(openai.InternalServerError) as down:
        client.chat.completions.create(model="error-503", messages=HELLO)  # type: ignore[arg-type]
    assert down.value.status_code == 502
    with pytest.raises(openai.BadRequestError, match="invalid argument"):
        client.chat.completions.create(model="error-400", messages=HELLO)  # type: ignore[arg-type]
    with pytest.raises(openai.InternalServerError) as hostile:
        client.chat.completions.create(model="bad-index", messages=HELLO, stream=True).close()  # type: ignore[arg-type]
    assert hostile.value.status_code == 502


def test_sdk_embeddings_through_the_gateway(gemini_gateway: Gateway) -> None:
    reply = gemini_gateway.sdk().embeddings.create(model="text-embedding-004", input=["a", "b"])
    assert [d.embedding for d in reply.data] == [[0.5] * 3, [0.5] * 3]  # base64 on the wire, decoded by the SDK


def test_sdk_stream_broken_by_the_upstream_mid_way_is_a_502_not_a_500(gemini_gateway: Gateway) -> None:
    client = gemini_gateway.sdk().with_options(max_retries=0)
    with pytest.raises(openai.APIError, match="overloaded"):
        for _ in client.chat.completions.create(model="stream-error", messages=HELLO, stream=True):  # type: ignore[arg-type]
            pass
    gemini_gateway.flush()
    with gemini_gateway.state.engine.connect() as conn:
        assert conn.exec_driver_sql("select status from requests").scalar_one() == 502
