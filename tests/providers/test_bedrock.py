"""The `bedrock` provider against a loopback Bedrock Runtime (SigV4 checked, ConverseStream in AWS's
event-stream framing): directly, and end to end through a gateway with the official openai SDK."""

from __future__ import annotations

import base64
import json
import struct
import sys
from collections.abc import Callable
from typing import Any

import openai
import pytest

from rungway.domain.usage import Usage
from rungway.errors import ConfigError, InvalidRequest, RateLimited, UpstreamError, UpstreamRejected, UpstreamTimeout
from rungway.providers.base import ChatCall, EmbedCall, Provider
from tests.providers.conftest import drive, make_provider, stream
from tests.providers.fake_bedrock import KEY_ID, REGION, SECRET, FakeBedrock
from tests.servers import Gateway

HELLO = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]
CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]


def bedrock(fake: FakeBedrock, **options: Any) -> Provider:
    keys = {"access_key_id": KEY_ID, "secret_access_key": SECRET}
    return make_provider("bedrock", endpoint_url=fake.endpoint_url, region=REGION, **{**keys, **options})


def chat(provider: Provider, body: dict[str, Any]) -> Any:
    async def action(p: Provider) -> Any:
        return await p.chat(ChatCall(body))

    return drive(provider, action)


def test_chat_sends_a_signed_converse_request(fake_bedrock: FakeBedrock) -> None:
    result = chat(bedrock(fake_bedrock), {"model": CLAUDE, "messages": HELLO, "max_tokens": 100})
    assert result.data["object"] == "chat.completion"
    assert result.data["choices"][0]["message"]["content"] == "Hello from fake Bedrock."
    assert result.data["choices"][0]["finish_reason"] == "stop"
    assert result.data["id"] == "chatcmpl-3f1c9a1e-7d2b-4c55-9b7e-2a0f6c1d8e4b" and result.data["model"] == CLAUDE
    assert result.usage == Usage(input=18, output=7, cached_input=5)
    assert json.loads(result.body) == result.data
    assert fake_bedrock.signature_problems == []
    seen = fake_bedrock.seen[0]
    assert seen.path == f"/model/{CLAUDE}/converse" and seen.body["modelId"] == CLAUDE
    assert seen.headers["Authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={KEY_ID}/")
    assert seen.body["system"] == [{"text": "Be brief."}] and seen.body["inferenceConfig"] == {"maxTokens": 100}


def test_temporary_credentials_send_the_session_token(fake_bedrock: FakeBedrock) -> None:
    chat(bedrock(fake_bedrock, session_token="FwoGZXIvYXdzEJr"), {"model": "m", "messages": HELLO})
    assert fake_bedrock.seen[0].headers["X-Amz-Security-Token"] == "FwoGZXIvYXdzEJr"
    assert fake_bedrock.signature_problems == []


def test_credentials_from_the_environment(fake_bedrock: FakeBedrock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_REGION", REGION)
    provider = make_provider("bedrock", endpoint_url=fake_bedrock.endpoint_url)
    assert chat(provider, {"model": "m", "messages": HELLO}).data["choices"][0]["message"]["content"]
    assert fake_bedrock.signature_problems == []


def test_a_bedrock_api_key_is_sent_as_a_bearer_token(fake_bedrock: FakeBedrock) -> None:
    provider = make_provider(
        "bedrock", endpoint_url=fake_bedrock.endpoint_url, region=REGION, api_key="bedrock-api-key"
    )
    chat(provider, {"model": "m", "messages": HELLO})
    assert fake_bedrock.seen[0].headers["Authorization"] == "Bearer bedrock-api-key"


def test_wrong_keys_are_an_upstream_error_not_the_callers_401(fake_bedrock: FakeBedrock) -> None:
    with pytest.raises(UpstreamError) as caught:
        chat(bedrock(fake_bedrock, secret_access_key="wrong"), {"model": "m", "messages": HELLO})
    assert caught.value.status == 502 and caught.value.code == "upstream_auth_failed"
    assert fake_bedrock.signature_problems == ["signature mismatch"]


def test_stream_decodes_the_event_stream_and_ends_with_usage(fake_bedrock: FakeBedrock) -> None:
    chunks = stream(bedrock(fake_bedrock), {"model": CLAUDE, "messages": HELLO, "stop": ["fake"]})
    seen = fake_bedrock.seen[0]
    assert seen.path == f"/model/{CLAUDE}/converse-stream" and seen.body["inferenceConfig"]["stopSequences"] == ["fake"]
    assert seen.headers["Accept"] == "application/vnd.amazon.eventstream"
    text = "".join(c.data["choices"][0]["delta"].get("content") or "" for c in chunks if c.data["choices"])
    assert text == "Hello from"
    assert [c.data["choices"][0]["finish_reason"] for c in chunks if c.data["choices"]][-1] == "stop"
    assert chunks[-1].data["choices"] == [] and chunks[-1].usage == Usage(input=18, output=7, cached_input=5)
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_tool_calls(fake_bedrock: FakeBedrock) -> None:
    chunks = stream(bedrock(fake_bedrock), {"model": "m", "messages": HELLO, "tools": TOOLS})
    deltas = [c.data["choices"][0]["delta"] for c in chunks if c.data["choices"]]
    calls = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
    assert calls[0]["id"] == "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q" and calls[0]["function"]["name"] == "get_weather"
    assert json.loads("".join(c["function"]["arguments"] for c in calls)) == {"city": "Paris"}


@pytest.mark.parametrize("mode", ["chat", "stream"])
def test_throttling_is_a_429_with_the_retry_hint(fake_bedrock: FakeBedrock, mode: str) -> None:
    body = {"model": "error-429", "messages": HELLO}
    with pytest.raises(RateLimited, match="ThrottlingException") as caught:
        chat(bedrock(fake_bedrock), body) if mode == "chat" else stream(bedrock(fake_bedrock), body)
    assert caught.value.status == 429 and caught.value.retry_after == 3


def test_validation_is_relayed_as_400(fake_bedrock: FakeBedrock) -> None:
    with pytest.raises(UpstreamRejected) as caught:
        chat(bedrock(fake_bedrock), {"model": "error-400", "messages": HELLO})
    assert caught.value.status == 400 and caught.value.code == "ValidationException"
    assert caught.value.message == "The provided model identifier is invalid."


@pytest.mark.parametrize(("model", "upstream_status"), [("error-503", 503), ("not-ready", 429)])
def test_unavailable_and_not_ready_are_5xx(fake_bedrock: FakeBedrock, model: str, upstream_status: int) -> None:
    with pytest.raises(UpstreamError) as caught:
        stream(bedrock(fake_bedrock), {"model": model, "messages": HELLO})
    assert caught.value.status == 502 and caught.value.upstream_status == upstream_status


def test_an_exception_mid_stream_is_raised(fake_bedrock: FakeBedrock) -> None:
    with pytest.raises(RateLimited, match="Too many tokens"):
        stream(bedrock(fake_bedrock), {"model": "stream-throttled", "messages": HELLO})


@pytest.mark.parametrize(
    ("model", "match"),
    [
        ("truncated", "metadata event"),
        ("bad-crc", "CRC32 does not match"),
        ("hostile", "contentBlockIndex"),
        ("huge-event", "exceeded 1000000 bytes"),
    ],
)
def test_broken_or_hostile_streams_are_502s(fake_bedrock: FakeBedrock, model: str, match: str) -> None:
    with pytest.raises(UpstreamError, match=match) as caught:
        stream(bedrock(fake_bedrock, max_sse_event_bytes=1_000_000), {"model": model, "messages": HELLO})
    assert caught.value.status == 502


def test_a_hostile_answer_is_a_502(fake_bedrock: FakeBedrock) -> None:
    with pytest.raises(UpstreamError, match="text block") as caught:
        chat(bedrock(fake_bedrock), {"model": "hostile", "messages": HELLO})
    assert caught.value.code == "upstream_malformed"


def test_slow_upstream_times_out(fake_bedrock: FakeBedrock) -> None:
    with pytest.raises(UpstreamTimeout):
        chat(bedrock(fake_bedrock, timeout_s=0.3), {"model": "slow", "messages": HELLO})


def embed(provider: Provider, body: dict[str, Any]) -> Any:
    async def action(p: Provider) -> Any:
        return await p.embed(EmbedCall(body))

    return drive(provider, action)


def test_titan_embeddings_one_signed_invoke_per_input(fake_bedrock: FakeBedrock) -> None:
    body = {"model": "amazon.titan-embed-text-v2:0", "input": ["hi there", "a b c"], "dimensions": 4}
    result = embed(bedrock(fake_bedrock), body)
    assert [d["embedding"] for d in result.data["data"]] == [[0.08, 0.09, 0.1, 0.11], [0.05, 0.06, 0.07, 0.08]]
    assert result.usage == Usage(input=5) and result.data["usage"] == {"prompt_tokens": 5, "total_tokens": 5}
    assert sorted(s.body["inputText"] for s in fake_bedrock.seen) == ["a b c", "hi there"]
    assert all(s.path == "/model/amazon.titan-embed-text-v2:0/invoke" for s in fake_bedrock.seen)
    assert fake_bedrock.signature_problems == []


@pytest.mark.parametrize(
    ("model", "error", "status"),
    [
        ("cohere.embed-english-v3", InvalidRequest, 400),
        ("amazon.titan-embed-text-throttled", RateLimited, 429),
        ("amazon.titan-embed-text-hostile", UpstreamError, 502),
    ],
)
def test_embedding_failures(fake_bedrock: FakeBedrock, model: str, error: type[Exception], status: int) -> None:
    with pytest.raises(error) as caught:
        embed(bedrock(fake_bedrock), {"model": model, "input": ["a", "b"]})
    assert getattr(caught.value, "status", None) == status


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"region": "us-east-1", "access_key_id": "A"}, r"providers.up.secret_access_key: .*go together"),
        ({"region": "us-east-1", "base_url": "http://x"}, r"providers.up.base_url: .*endpoint_url"),
        (
            {"region": "us-east-1", "api_key": "k", "endpoint_url": "ftp://x"},
            r"providers.up.base_url: expected an http",
        ),
        (
            {"region": "us-east-1", "api_key": "k", "regoin": "x"},
            r"providers.up.regoin: unknown bedrock provider option",
        ),
    ],
)
def test_bad_options_name_file_key_and_fix(options: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=rf"rungway.yaml:5: {match}.*Fix: "):
        make_provider("bedrock", **options)


def test_no_region_and_no_credentials_name_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(ConfigError, match=r"providers.up.region: no AWS region is set.*AWS_REGION"):
        make_provider("bedrock")
    with pytest.raises(ConfigError, match=r"providers.up: no AWS credentials found. Fix: set AWS_ACCESS_KEY_ID"):
        make_provider("bedrock", region="us-east-1")


def test_a_missing_botocore_names_the_pip_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "botocore", None)  # as if botocore were not installed
    monkeypatch.delitem(sys.modules, "rungway.providers.bedrock_aws")
    with pytest.raises(ConfigError, match=r"providers.up.type: .*needs botocore.*pip install 'rungway\[bedrock\]'"):
        make_provider("bedrock", region="us-east-1")


GATEWAY_CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  aws:
    type: bedrock
    endpoint_url: ENDPOINT
    region: us-east-1
    access_key_id: AKIDEXAMPLE
    secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
models:
  claude-bedrock:
    provider: aws
    model: anthropic.claude-3-5-sonnet-20240620-v1:0
    price: {input: 3.00, output: 15.00, cached_input: 0.30}
  error-429: {provider: aws}
  error-400: {provider: aws}
  error-503: {provider: aws}
  hostile: {provider: aws}
  bad-crc: {provider: aws}
  stream-throttled: {provider: aws}
  titan-embed: {provider: aws, model: amazon.titan-embed-text-v2:0}
  cohere-embed: {provider: aws, model: cohere.embed-english-v3}
workloads:
  test: {}
"""


@pytest.fixture
def bedrock_gateway(gateway_factory: Callable[..., Gateway], fake_bedrock: FakeBedrock) -> Gateway:
    return gateway_factory(GATEWAY_CONFIG.replace("ENDPOINT", fake_bedrock.endpoint_url))


def test_sdk_chat_through_the_gateway(bedrock_gateway: Gateway, fake_bedrock: FakeBedrock) -> None:
    reply = bedrock_gateway.sdk().chat.completions.create(model="claude-bedrock", messages=HELLO)  # type: ignore[arg-type]
    assert reply.choices[0].message.content == "Hello from fake Bedrock."
    assert reply.usage is not None and reply.usage.prompt_tokens == 18
    assert reply.usage.prompt_tokens_details is not None and reply.usage.prompt_tokens_details.cached_tokens == 5
    assert fake_bedrock.seen[0].body["modelId"] == CLAUDE and fake_bedrock.signature_problems == []
    bedrock_gateway.flush()
    with bedrock_gateway.state.engine.connect() as conn:
        row = conn.exec_driver_sql("select provider, status, tokens_in, tokens_out from requests").one()
    assert tuple(row) == ("aws", 200, 18, 7)


def test_sdk_stream_with_usage_through_the_gateway(bedrock_gateway: Gateway) -> None:
    chunks = list(
        bedrock_gateway.sdk().chat.completions.create(
            model="claude-bedrock",
            messages=HELLO,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello from fake Bedrock."
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 7
    assert (
        chunks[-1].usage.prompt_tokens_details is not None and chunks[-1].usage.prompt_tokens_details.cached_tokens == 5
    )


def test_sdk_tool_round_trip_through_the_gateway(bedrock_gateway: Gateway, fake_bedrock: FakeBedrock) -> None:
    client = bedrock_gateway.sdk()
    first = client.chat.completions.create(model="claude-bedrock", messages=HELLO, tools=TOOLS)  # type: ignore[arg-type]
    calls = first.choices[0].message.tool_calls
    assert first.choices[0].finish_reason == "tool_calls" and calls is not None
    call = calls[0]
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}  # type: ignore[union-attr]
    history = [
        *HELLO,
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"},
    ]
    second = client.chat.completions.create(model="claude-bedrock", messages=history)  # type: ignore[arg-type]
    assert second.choices[0].message.content == "Hello from fake Bedrock."
    sent = fake_bedrock.seen[1].body["messages"]
    assert sent[1]["content"][-1]["toolUse"]["toolUseId"] == call.id
    assert sent[2] == {
        "role": "user",
        "content": [{"toolResult": {"toolUseId": call.id, "content": [{"text": "sunny, 21 C"}]}}],
    }


def test_sdk_errors_through_the_gateway(bedrock_gateway: Gateway) -> None:
    client = bedrock_gateway.sdk(None).with_options(max_retries=0)
    with pytest.raises(openai.RateLimitError) as throttled:
        client.chat.completions.create(model="error-429", messages=HELLO)  # type: ignore[arg-type]
    assert throttled.value.response.headers.get("retry-after") == "3"
    with pytest.raises(openai.BadRequestError, match="model identifier is invalid"):
        client.chat.completions.create(model="error-400", messages=HELLO)  # type: ignore[arg-type]
    with pytest.raises(openai.InternalServerError) as unavailable:
        client.chat.completions.create(model="error-503", messages=HELLO, stream=True)  # type: ignore[arg-type]
    assert unavailable.value.status_code == 502
    with pytest.raises(openai.InternalServerError) as hostile:
        client.chat.completions.create(model="hostile", messages=HELLO)  # type: ignore[arg-type]
    assert hostile.value.status_code == 502
    with pytest.raises(openai.BadRequestError, match="Titan Text Embeddings"):
        client.embeddings.create(model="cohere-embed", input="hi")


@pytest.mark.parametrize("encoding", ["float", "base64"])
def test_sdk_embeddings_through_the_gateway(bedrock_gateway: Gateway, encoding: str) -> None:
    reply = bedrock_gateway.sdk().embeddings.create(
        model="titan-embed",
        input=["hello world", "hi"],
        dimensions=3,
        encoding_format=encoding,  # type: ignore[arg-type]
    )
    vectors = [d.embedding for d in reply.data]
    if encoding == "base64":  # the SDK hands base64 back as the string; decode it as OpenAI's float32
        vectors = [list(struct.unpack("<3f", base64.b64decode(v))) for v in vectors]  # type: ignore[arg-type]
    assert [[round(x, 2) for x in v] for v in vectors] == [[0.11, 0.12, 0.13], [0.02, 0.03, 0.04]]
    assert reply.usage.prompt_tokens == 3


@pytest.mark.parametrize("model", ["bad-crc", "hostile", "stream-throttled"])
def test_sdk_broken_streams_end_in_an_error_never_a_500(bedrock_gateway: Gateway, model: str) -> None:
    client = bedrock_gateway.sdk().with_options(max_retries=0)
    with pytest.raises(openai.APIError) as caught:
        list(client.chat.completions.create(model=model, messages=HELLO, stream=True))  # type: ignore[arg-type]
    assert getattr(caught.value, "status_code", None) != 500
    bedrock_gateway.flush()
    with bedrock_gateway.state.engine.connect() as conn:
        status = conn.exec_driver_sql("select status from requests").scalar_one()
    assert status == (429 if model == "stream-throttled" else 502)
