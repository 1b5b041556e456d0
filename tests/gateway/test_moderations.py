"""`POST /v1/moderations` through the real gateway with the official openai SDK: on the simulator (keyword
lists, `providers/simulator/moderation.py`) and through the openai adapter to a loopback OpenAI upstream;
a provider that cannot moderate, bad bodies, authentication, and the request log row."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import openai
import pytest
from sqlalchemy import select

from rungway.providers.simulator.moderation import CATEGORIES
from rungway.store.schema import requests
from tests.conftest import SIMULATOR_CONFIG
from tests.providers.fake_openai import FakeOpenAI
from tests.servers import Gateway

UPSTREAM = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  up:
    type: openai
    base_url: BASE_URL
    api_key: sk-upstream
  claude:
    type: anthropic
    api_key: sk-ant-test
    base_url: http://127.0.0.1:9
models:
  claude-haiku:
    provider: claude
    model: claude-3-5-haiku-latest
  moderator:
    provider: up
    model: omni-moderation-latest
workloads:
  test: {}
"""


def post(gw: Gateway, body: object, key: str | None, path: str = "/v1/moderations") -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    request = urllib.request.Request(gw.base_url + path, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def recorded(gw: Gateway) -> list[Any]:
    gw.flush()
    with gw.state.engine.connect() as conn:
        columns = (
            requests.c.id,
            requests.c.endpoint,
            requests.c.status,
            requests.c.workload,
            requests.c.model_requested,
        )
        return list(conn.execute(select(*columns).order_by(requests.c.ts_start)))


def test_a_string_is_moderated_by_the_simulator_in_openais_shape_and_recorded(gateway: Gateway) -> None:
    client = gateway.sdk(gateway.create_key().secret)
    raw = client.moderations.with_raw_response.create(input="What a lovely day for a picnic.")
    answer = raw.parse()
    assert answer.id.startswith("modr-") and len(answer.results) == 1
    result = answer.results[0]
    assert result.flagged is False
    dumped = result.model_dump(by_alias=True)
    assert set(dumped["categories"]) == set(CATEGORIES) == set(dumped["category_scores"])
    assert set(dumped["category_applied_input_types"]) == set(CATEGORIES)
    (row,) = recorded(gateway)
    assert (row.endpoint, row.status, row.workload) == ("moderations", 200, "test")
    assert row.id == raw.headers["x-request-id"]


def test_an_array_gets_one_result_per_input_and_a_flagged_input_is_flagged(gateway: Gateway) -> None:
    client = gateway.sdk(gateway.create_key().secret)
    answer = client.moderations.create(
        model="gpt-4o-mini", input=["Have a nice day.", "I will kill you", "Some gore here"]
    )
    flagged = [r.flagged for r in answer.results]
    assert flagged == [False, True, True]
    assert answer.results[1].categories.violence and answer.results[1].category_scores.violence > 0.5
    assert answer.results[2].model_dump(by_alias=True)["categories"]["violence/graphic"]
    again = client.moderations.create(model="gpt-4o-mini", input=["Have a nice day.", "I will kill you"])
    assert again.results[0].category_scores == answer.results[0].category_scores  # deterministic


def test_image_inputs_are_moderated_with_their_applied_input_types(gateway: Gateway) -> None:
    client = gateway.sdk(gateway.create_key().secret)
    answer = client.moderations.create(
        input=[
            {"type": "text", "text": "hello"},
            {"type": "image_url", "image_url": {"url": "https://example.com/gore.png"}},
        ]
    )
    text, image = answer.results
    assert not text.flagged and image.flagged
    applied = image.model_dump(by_alias=True)["category_applied_input_types"]
    assert applied["violence/graphic"] == ["image"] and applied["hate"] == []


def test_the_openai_adapter_posts_to_the_upstreams_moderations(gateway_factory: Callable[..., Gateway]) -> None:
    fake = FakeOpenAI()
    try:
        gw = gateway_factory(UPSTREAM.replace("BASE_URL", fake.base_url))
        client = gw.sdk(gw.create_key().secret)
        answer = client.moderations.create(input=["a calm sentence", "we attack at dawn"])
        assert [r.flagged for r in answer.results] == [False, True]
        seen = [s for s in fake.seen if s.path == "/v1/moderations"]
        assert len(seen) == 1 and seen[0].body["model"] == "omni-moderation-latest"
        assert seen[0].headers["Authorization"] == "Bearer sk-upstream"
        (row,) = recorded(gw)
        assert (row.endpoint, row.status, row.model_requested) == ("moderations", 200, "moderator")
        with pytest.raises(openai.BadRequestError) as refused:
            client.moderations.create(model="claude-haiku", input="hello")
        assert refused.value.code == "moderation_not_supported" and "claude" in refused.value.message
        assert len([s for s in fake.seen if s.path == "/v1/moderations"]) == 1
    finally:
        fake.stop()


def test_an_upstream_error_is_relayed_in_openais_shape(gateway_factory: Callable[..., Gateway]) -> None:
    fake = FakeOpenAI()
    try:
        config = UPSTREAM.replace("BASE_URL", fake.base_url) + "  # extra\n"
        config = config.replace("  moderator:\n", "  error-400:\n    provider: up\n  moderator:\n")
        gw = gateway_factory(config)
        status, body = post(gw, {"model": "error-400", "input": "hi"}, gw.create_key().secret)
        assert status == 400 and body["error"]["message"]
    finally:
        fake.stop()


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "input"),
        ({"input": ""}, "input"),
        ({"input": []}, "input"),
        ({"input": 3}, "input"),
        ({"input": [1, 2]}, "input[0]"),
        ({"input": [{"type": "image_url", "image_url": "x"}]}, "input[0]"),
        ({"input": [{"type": "audio"}]}, "input[0]"),
        ({"input": ["x"] * 129}, "input"),
        ({"input": "x" * 100_001}, "input[0]"),
        ({"input": "hi", "model": 5}, "model"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_field(gateway: Gateway, body: dict[str, Any], param: str) -> None:
    status, answer = post(gateway, body, gateway.create_key().secret)
    assert status == 400, answer
    assert answer["error"]["param"] == param and answer["error"]["type"] == "invalid_request_error"


def test_authentication_json_and_model_access_are_checked(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG)
    with pytest.raises(openai.AuthenticationError):
        gw.sdk("sk-wrong").moderations.create(input="hi")
    status, _ = post(gw, {"input": "hi"}, None, path="/moderations")
    assert status == 401
    status, answer = post(gw, b"{", gw.create_key().secret)
    assert status == 400 and answer["error"]["code"] == "invalid_json"
    status, answer = post(gw, {"model": "no-such", "input": "hi"}, gw.create_key().secret)
    assert status == 404 and answer["error"]["code"] == "model_not_found"
    narrow = gw.create_key(allowed_models=("gpt-4o",)).secret
    status, answer = post(gw, {"model": "gpt-4o-mini", "input": "hi"}, narrow)
    assert status == 403 and answer["error"]["code"] == "model_not_allowed"
    status, answer = post(gw, {"model": "gpt-4o", "input": "hi"}, narrow, path="/moderations")
    assert status == 200 and answer["results"]
    assert [(r.endpoint, r.status) for r in recorded(gw)][-1] == ("moderations", 200)


def test_rate_limits_apply_to_moderations(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG)
    client = gw.sdk(gw.create_key(rpm_limit=1).secret).with_options(max_retries=0)
    client.moderations.create(input="hi")
    with pytest.raises(openai.RateLimitError):
        client.moderations.create(input="hi")
