"""`/v1/responses` sent natively to an upstream that serves the Responses API (the loopback fake): the whole
resolved conversation goes with `store: false`, the answer and its events come back as the upstream sent them
with Rungway's ids, so `previous_response_id`, `item_reference` and retrieve work across native and translated
turns; usage and cost from the upstream's own fields; an upstream without `responses_api` is translated."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from typing import Any

import openai
import orjson
import pytest
from sqlalchemy import select

from rungway.responses.native import NativeIds, upstream_body
from rungway.store.schema import requests
from tests.providers.fake_openai import FakeOpenAI
from tests.providers.fake_responses import TEXT, USAGE, stream_events
from tests.servers import Gateway

CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  native:
    type: openai
    base_url: BASE_URL
    api_key: sk-upstream
    responses_api: true
  chatonly:
    type: openai
    base_url: BASE_URL
    api_key: sk-upstream
  sim:
    type: simulator
models:
  gpt-native:
    provider: native
    model: gpt-5-upstream
    price: {input: 1.25, output: 10.00, cached_input: 0.125}
  gpt-chat: {provider: chatonly, model: gpt-5-upstream}
  sim-model: {provider: sim, model: gpt-4o-mini}
  stream-fail: {provider: native}
workloads:
  test: {}
"""

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture
def upstream(gateway_factory: Callable[..., Gateway], fake_openai: FakeOpenAI) -> Gateway:
    return gateway_factory(CONFIG.replace("BASE_URL", fake_openai.base_url))


def sdk(gateway: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.openai_base, api_key=gateway.create_key().secret, max_retries=0)


def rows(gateway: Gateway) -> list[Any]:
    gateway.flush()
    with gateway.state.engine.connect() as conn:
        return list(conn.execute(select(requests).order_by(requests.c.ts_start)))


def test_a_response_comes_from_the_upstreams_responses_api(upstream: Gateway, fake_openai: FakeOpenAI) -> None:
    client = sdk(upstream)
    first = client.responses.create(
        model="gpt-native", input="Hello", instructions="Be brief.", reasoning={"effort": "low"}
    )
    seen = fake_openai.seen[-1]
    assert seen.path == "/v1/responses"
    assert seen.body["model"] == "gpt-5-upstream" and seen.body["store"] is False
    assert seen.body["reasoning"] == {"effort": "low"} and seen.body["instructions"] == "Be brief."
    assert [item["type"] for item in seen.body["input"]] == ["message"]
    # The upstream's answer, its reasoning item included, with Rungway's ids and the model asked for.
    assert first.id.startswith("resp_") and first.id != "resp_upstream1" and first.model == "gpt-native"
    assert [item.type for item in first.output] == ["reasoning", "message"]
    assert first.output_text == TEXT and first.store is True
    base = first.id.removeprefix("resp_")
    assert [item.id for item in first.output] == [f"rs_{base}_0", f"msg_{base}_1"]
    assert first.usage is not None and first.usage.output_tokens_details.reasoning_tokens == 2
    assert first.usage.input_tokens_details.cached_tokens == 4
    (row,) = rows(upstream)
    assert (row.endpoint, row.status, row.provider, row.tokens_in, row.tokens_out, row.tokens_cached) == (
        "responses",
        200,
        "native",
        12,
        6,
        4,
    )
    assert row.cost_nano > 0
    # The conversation is Rungway's: the next turn sends it whole, whichever deployment serves it.
    second = client.responses.create(model="gpt-native", input="And again", previous_response_id=first.id)
    sent = fake_openai.seen[-1].body
    assert "previous_response_id" not in sent
    assert [item.get("type") for item in sent["input"]] == ["message", "reasoning", "message", "message"]
    assert second.previous_response_id == first.id
    third = client.responses.create(
        model="sim-model", input=[{"type": "item_reference", "id": f"msg_{base}_1"}, {"role": "user", "content": "Hi"}]
    )
    assert third.output_text
    assert client.responses.retrieve(first.id).output_text == TEXT


def test_a_function_tool_round_trip_natively(upstream: Gateway, fake_openai: FakeOpenAI) -> None:
    client = sdk(upstream)
    first = client.responses.create(model="gpt-native", input="Weather in Paris?", tools=[WEATHER])  # type: ignore[list-item]
    call = next(item for item in first.output if item.type == "function_call")
    assert call.name == "get_weather" and json.loads(call.arguments) == {"city": "Paris"}
    second = client.responses.create(
        model="gpt-native",
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "18C"}],
        tools=[WEATHER],  # type: ignore[list-item]
    )
    assert second.output_text == TEXT
    assert fake_openai.seen[-1].body["input"][-1]["type"] == "function_call_output"


def test_a_stream_relays_the_upstreams_events(upstream: Gateway) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", upstream.port, timeout=30)
    body = {"model": "gpt-native", "input": "Hello", "stream": True}
    headers = {"authorization": f"Bearer {upstream.create_key().secret}", "content-type": "application/json"}
    connection.request("POST", "/v1/responses", orjson.dumps(body), headers)
    raw = connection.getresponse().read().decode()
    events = [block for block in raw.split("\n\n") if block]
    sent = [json.loads(block.split("\n", 1)[1].removeprefix("data: ")) for block in events]
    expected = stream_events(
        {
            "output": [
                {"id": "rs_up1", "type": "reasoning", "summary": []},
                {
                    "id": "msg_up3",
                    "type": "message",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": TEXT, "annotations": []}],
                },
            ],
            "usage": USAGE,
        }
    )
    assert [event["type"] for event in sent] == [event["type"] for event in expected]
    assert [event["sequence_number"] for event in sent] == list(range(len(sent)))
    response_id = sent[0]["response"]["id"]
    base = response_id.removeprefix("resp_")
    deltas = [event for event in sent if event["type"] == "response.output_text.delta"]
    assert "".join(d["delta"] for d in deltas) == TEXT and {d["item_id"] for d in deltas} == {f"msg_{base}_1"}
    assert sent[-1]["response"]["id"] == response_id and sent[-1]["response"]["model"] == "gpt-native"
    (row,) = rows(upstream)
    assert (row.status, row.tokens_out, row.stream) == (200, 6, True) and row.ttft_ms is not None
    stored = sdk(upstream).responses.retrieve(response_id)
    assert stored.output_text == TEXT


def test_the_sdk_streams_natively(upstream: Gateway) -> None:
    with sdk(upstream).responses.stream(model="gpt-native", input="Hello") as stream:
        final = stream.get_final_response()
    assert final.output_text == TEXT and final.model == "gpt-native"


def test_an_upstream_without_the_responses_api_is_translated(upstream: Gateway, fake_openai: FakeOpenAI) -> None:
    response = sdk(upstream).responses.create(model="gpt-chat", input="Hello")
    assert fake_openai.seen[-1].path == "/v1/chat/completions"
    assert response.output_text and [item.type for item in response.output] == ["message"]


def test_a_failed_stream_ends_with_an_error_event(upstream: Gateway) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", upstream.port, timeout=30)
    body = {"model": "stream-fail", "input": "Hello", "stream": True}
    headers = {"authorization": f"Bearer {upstream.create_key().secret}", "content-type": "application/json"}
    connection.request("POST", "/v1/responses", orjson.dumps(body), headers)
    raw = connection.getresponse().read().decode()
    events = [block for block in raw.split("\n\n") if block]
    assert events[0].startswith("event: response.created")
    # The upstream's failure ends the stream with the gateway's own `response.failed` (its id, its error).
    assert events[-1].startswith("event: response.failed") and raw.count("response.failed") == 2
    failed = json.loads(events[-1].split("\n", 1)[1].removeprefix("data: "))
    assert failed["response"]["id"] != "resp_upstream1" and failed["response"]["status"] == "failed"
    (row,) = rows(upstream)
    assert row.status == 502


def test_native_ids_rename_the_same_upstream_id_the_same_way() -> None:
    ids = NativeIds("resp_abc", "abc", "asked-for", store=True, previous=None)
    answer = {"id": "resp_up", "model": "up", "store": False, "output": [{"id": "rs_9", "type": "reasoning"}]}
    renamed = ids.response(answer)
    assert renamed["id"] == "resp_abc" and renamed["model"] == "asked-for" and renamed["store"] is True
    assert renamed["output"] == [{"id": "rs_abc_0", "type": "reasoning"}]
    assert ids.event({"type": "response.output_text.delta", "item_id": "rs_9", "delta": "x"}) == {
        "type": "response.output_text.delta",
        "item_id": "rs_abc_0",
        "delta": "x",
    }
    assert ids.event({"type": "keepalive"}) is None
    assert ids.item_id("weird") == "weird_abc_1" and ids.item_id("") == "item_abc_2"
    assert answer["id"] == "resp_up"  # the upstream's object is left as it was


def test_the_upstream_body_carries_the_conversation_and_stores_nothing() -> None:
    request = {"model": "m", "input": "hi", "previous_response_id": "resp_x", "stream": True, "reasoning": {}}
    items = [{"type": "message", "role": "user", "content": "hi"}]
    assert upstream_body(request, items) == {"model": "m", "input": items, "store": False, "reasoning": {}}
