"""The official openai SDK against the gateway: chat, streaming, embeddings, models, errors."""

from __future__ import annotations

import json

import openai
import pytest

from tests.servers import Gateway


def client(gw: Gateway, secret: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.openai_base, api_key=secret, max_retries=0)


def test_chat_completion_returns_choices_and_usage(gateway: Gateway) -> None:
    key = gateway.create_key("support-bot")
    reply = client(gateway, key.secret).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello there"}]
    )
    assert reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
    assert reply.model == "gpt-4o-mini-2024-07-18"


def test_chat_stream_relays_chunks_and_usage_when_asked(gateway: Gateway) -> None:
    key = gateway.create_key()
    stream = client(gateway, key.secret).chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Stream please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("Simulated answer")
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_chat_stream_hides_usage_chunk_when_not_asked(gateway: Gateway) -> None:
    key = gateway.create_key()
    chunks = list(
        client(gateway, key.secret).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    assert all(c.choices for c in chunks)
    gateway.flush()
    with gateway.state.engine.connect() as conn:
        rows = conn.exec_driver_sql("select tokens_out, stream from requests").fetchall()
    assert rows[0][0] > 0 and rows[0][1]


def test_tools_and_json_schema_are_honoured(gateway: Gateway) -> None:
    key = gateway.create_key()
    c = client(gateway, key.secret)
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 7}},
                    "required": ["city", "days"],
                    "additionalProperties": False,
                },
            },
        }
    ]
    reply = c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "weather?"}], tools=tools)
    call = reply.choices[0].message.tool_calls[0]
    assert reply.choices[0].finish_reason == "tool_calls"
    args = json.loads(call.function.arguments)
    assert set(args) == {"city", "days"} and 1 <= args["days"] <= 7
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}},
        "required": ["name", "tags"],
        "additionalProperties": False,
    }
    reply = c.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "json"}],
        response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": schema, "strict": True}},
    )
    data = json.loads(reply.choices[0].message.content or "")
    assert isinstance(data["name"], str) and isinstance(data["tags"], list)


def test_embeddings_and_models(gateway: Gateway) -> None:
    key = gateway.create_key(allowed_models=("gpt-4o-mini", "text-embedding-3-small"))
    c = client(gateway, key.secret)
    emb = c.embeddings.create(model="text-embedding-3-small", input=["a", "b"], dimensions=8)
    assert len(emb.data) == 2 and len(emb.data[0].embedding) == 8
    assert sorted(m.id for m in c.models.list()) == ["gpt-4o-mini", "text-embedding-3-small"]


def test_sdk_raises_its_own_error_classes(gateway: Gateway) -> None:
    key = gateway.create_key(allowed_models=("gpt-4o-mini",), rpm_limit=1)
    messages = [{"role": "user", "content": "x"}]
    with pytest.raises(openai.AuthenticationError):
        client(gateway, "rw-wrong").chat.completions.create(model="gpt-4o-mini", messages=messages)
    with pytest.raises(openai.PermissionDeniedError):
        client(gateway, key.secret).chat.completions.create(model="gpt-4o", messages=messages)
    with pytest.raises(openai.BadRequestError):
        client(gateway, key.secret).chat.completions.create(model="gpt-4o-mini", messages=[])
    c = client(gateway, key.secret)
    with pytest.raises(openai.InternalServerError) as bad_gateway:
        c.chat.completions.create(model="gpt-4o-mini", messages=messages, extra_headers={"x-simulator-error": "500"})
    assert bad_gateway.value.status_code == 502
    with pytest.raises(openai.RateLimitError) as limited:
        c.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert int(limited.value.response.headers["retry-after"]) >= 1
