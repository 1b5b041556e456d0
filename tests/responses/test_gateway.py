"""`/v1/responses` through every step of the gateway: refusals in OpenAI's error shape (never a 500), keys kept
to their workload, limits, the request log row and span, streaming TTFT, the answer guard (JSON and streamed),
a registry prompt expanded into a Responses call, and the Agents SDK running a tool against the gateway."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import openai
import pytest
from sqlalchemy import select

from rungway.prompts.catalog import CATALOG
from rungway.prompts.config import PromptsConfig, ReviewPolicy
from rungway.prompts.model import Actor
from rungway.prompts.service import create_version, move_label
from rungway.prompts.template import PromptContent
from rungway.store.schema import requests
from tests.conftest import SIMULATOR_CONFIG
from tests.guardrails.conftest import AWS_KEY, EMAIL, SIMULATED
from tests.servers import Gateway


def post(
    gw: Gateway, body: object, headers: dict[str, str], path: str = "/v1/responses"
) -> tuple[int, dict[str, str], Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        gw.base_url + path, data=data, headers={"Content-Type": "application/json", **headers}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def bearer(gw: Gateway, workload: str = "test") -> dict[str, str]:
    return {"Authorization": "Bearer " + gw.create_key(workload).secret}


def sdk(gw: Gateway, workload: str = "test", **key: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.openai_base, api_key=gw.create_key(workload, **key).secret, max_retries=0)


@pytest.mark.parametrize(
    "method_path",
    [
        ("POST", "/v1/responses"),
        ("POST", "/responses"),
        ("GET", "/v1/responses/resp_x"),
        ("DELETE", "/v1/responses/resp_x"),
        ("GET", "/v1/responses/resp_x/input_items"),
    ],
)
def test_authentication_failures_are_openai_errors(gateway: Gateway, method_path: tuple[str, str]) -> None:
    method, path = method_path
    for headers, status, kind in (
        ({}, 401, "authentication_error"),
        ({"Authorization": "Bearer rw-not-a-key"}, 401, "authentication_error"),
        ({"Authorization": "Bearer admin-secret"}, 403, "permission_error"),
    ):
        data = json.dumps({"model": "gpt-4o-mini", "input": "hi"}).encode() if method == "POST" else None
        request = urllib.request.Request(gateway.base_url + path, data=data, headers=headers, method=method)
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(request, timeout=30)
        answer = json.loads(failed.value.read())
        assert failed.value.code == status and answer["error"]["type"] == kind, answer


BAD_BODIES: list[tuple[object, str | None]] = [
    (b"{", None),
    (b"[1]", None),
    ({"input": "hi"}, "model"),
    ({"model": "gpt-4o-mini"}, "input"),
    ({"model": "gpt-4o-mini", "input": 5}, "input"),
    ({"model": "gpt-4o-mini", "input": [5]}, "input[0]"),
    ({"model": "gpt-4o-mini", "input": [{"role": "robot", "content": "x"}]}, "input[0].role"),
    (
        {"model": "gpt-4o-mini", "input": [{"role": "user", "content": [{"type": "input_audio"}]}]},
        "input[0].content[0].type",
    ),
    (
        {"model": "gpt-4o-mini", "input": [{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}]},
        "input[0].content[0]",
    ),
    (
        {"model": "gpt-4o-mini", "input": [{"type": "function_call_output", "call_id": "c", "output": 3}]},
        "input[0].output",
    ),
    ({"model": "gpt-4o-mini", "input": [{"type": "item_reference"}]}, "input[0].id"),
    ({"model": "gpt-4o-mini", "input": "hi", "tools": [{"type": "web_search"}]}, "tools"),
    ({"model": "gpt-4o-mini", "input": "hi", "tools": [{"type": "function"}]}, "tools[0].name"),
    ({"model": "gpt-4o-mini", "input": "hi", "tool_choice": {"type": "sometimes"}}, "tool_choice"),
    ({"model": "gpt-4o-mini", "input": "hi", "text": {"format": {"type": "xml"}}}, "text.format.type"),
    (
        {"model": "gpt-4o-mini", "input": "hi", "text": {"format": {"type": "json_schema", "name": "x"}}},
        "text.format.schema",
    ),
    ({"model": "gpt-4o-mini", "input": "hi", "temperature": 3}, "temperature"),
    ({"model": "gpt-4o-mini", "input": "hi", "max_output_tokens": 0}, "max_output_tokens"),
    ({"model": "gpt-4o-mini", "input": "hi", "stream": "yes"}, "stream"),
    ({"model": "gpt-4o-mini", "input": "hi", "store": 1}, "store"),
    ({"model": "gpt-4o-mini", "input": "hi", "previous_response_id": 7}, "previous_response_id"),
    ({"model": "gpt-4o-mini", "input": "hi", "frequency_penalty": 1}, "frequency_penalty"),
    ({"model": "gpt-4o-mini", "input": "hi", "background": True}, "background"),
]


@pytest.mark.parametrize(("body", "param"), BAD_BODIES)
def test_bad_bodies_are_400_invalid_request_errors_naming_the_field(
    gateway: Gateway, body: object, param: str | None
) -> None:
    status, _, answer = post(gateway, body, bearer(gateway))
    assert status == 400, answer
    assert answer["error"]["type"] == "invalid_request_error" and answer["error"]["message"]
    if param is not None:
        assert answer["error"]["param"] == param


def test_a_missing_previous_response_is_404_naming_the_field(gateway: Gateway) -> None:
    status, _, answer = post(
        gateway, {"model": "gpt-4o-mini", "input": "hi", "previous_response_id": "resp_nope"}, bearer(gateway)
    )
    assert status == 404 and answer["error"]["code"] == "previous_response_not_found"
    assert answer["error"]["param"] == "previous_response_id"


def test_input_items_query_is_checked(gateway: Gateway) -> None:
    client = sdk(gateway)
    created = client.responses.create(model="gpt-4o-mini", input="hi")
    for query in ({"limit": 0}, {"limit": 101}, {"order": "sideways"}, {"after": "msg_nope"}):
        with pytest.raises(openai.BadRequestError):
            client.responses.input_items.list(created.id, **query)  # type: ignore[arg-type]


def test_unknown_and_forbidden_models_are_404_and_403(gateway: Gateway) -> None:
    with pytest.raises(openai.NotFoundError):
        sdk(gateway).responses.create(model="no-such-model", input="hi")
    with pytest.raises(openai.PermissionDeniedError):
        sdk(gateway, allowed_models=["gpt-4o"]).responses.create(model="gpt-4o-mini", input="hi")


def test_calls_are_recorded_to_the_callers_workload_with_tokens_cost_and_a_span(
    gateway_factory: Callable[..., Gateway],
) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG + "  other:\n    team: ops\n")
    mine = sdk(gw, "test").responses.create(model="gpt-4o-mini", input="hi")
    theirs = sdk(gw, "other").responses.create(model="gpt-4o-mini", input="hi", stream=True)
    streamed = list(theirs)[-1].response  # type: ignore[union-attr]
    gw.flush()
    with gw.state.engine.connect() as conn:
        rows = conn.execute(
            select(
                requests.c.id,
                requests.c.workload,
                requests.c.endpoint,
                requests.c.cost_nano,
                requests.c.tokens_in,
                requests.c.tokens_out,
                requests.c.ttft_ms,
            )
        ).all()
        spans = conn.exec_driver_sql("select count(*) from spans").scalar()
    by_id = {row.id: row for row in rows}
    for response, workload in ((mine, "test"), (streamed, "other")):
        row = by_id["req_" + response.id.removeprefix("resp_")]
        assert row.workload == workload and row.endpoint == "responses" and row.cost_nano > 0
        assert response.usage is not None and (row.tokens_in, row.tokens_out) == (
            response.usage.input_tokens,
            response.usage.output_tokens,
        )
    assert by_id["req_" + streamed.id.removeprefix("resp_")].ttft_ms is not None
    assert spans is not None and spans >= 2


def test_a_rate_limit_is_a_429_with_retry_after(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG + "limits:\n  key_rpm: 1\n")
    headers = bearer(gw)
    assert post(gw, {"model": "gpt-4o-mini", "input": "hi"}, headers)[0] == 200
    status, answer_headers, answer = post(gw, {"model": "gpt-4o-mini", "input": "hi"}, headers)
    assert status == 429 and answer["error"]["type"] == "rate_limit_error" and int(answer_headers["Retry-After"]) >= 1


def test_the_answer_guard_redacts_json_and_streamed_responses(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATED)
    client = sdk(gw, "out-redact")
    ask = f"mail {EMAIL} key {AWS_KEY}"
    text = client.responses.create(model="gpt-4o-mini", input=ask).output_text
    assert "[EMAIL_1]" in text and EMAIL not in text and AWS_KEY not in text
    events = list(client.responses.create(model="gpt-4o-mini", input=ask, stream=True))
    streamed = "".join(e.delta for e in events if e.type == "response.output_text.delta")  # type: ignore[union-attr]
    assert "[EMAIL_1]" in streamed and "alice" not in streamed and AWS_KEY not in streamed
    assert events[-1].response.output_text == streamed  # type: ignore[union-attr]


def test_the_answer_guard_blocks_json_and_fails_a_stream(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATED)
    client = sdk(gw, "out-block")
    ask = f"please mail {EMAIL} today"
    with pytest.raises(openai.APIStatusError) as blocked:
        client.responses.create(model="gpt-4o-mini", input=ask)
    assert 400 <= blocked.value.status_code < 500 and "pii.email" in blocked.value.message
    status, _, raw = post(gw, {"model": "gpt-4o-mini", "input": ask, "stream": True}, bearer(gw, "out-block"))
    events = [block.split("\n", 1)[0] for block in raw.split("\n\n") if block]
    assert status == 200 and events[0] == "event: response.created"
    assert events[-2:] == ["event: error", "event: response.failed"]
    assert "response.completed" not in raw and "alice" not in raw and "pii.email" in raw


def test_a_registry_prompt_is_expanded_into_a_responses_call(gateway: Gateway) -> None:
    engine, admin = gateway.state.engine, Actor.server_admin()
    content = PromptContent.from_json({"messages": [{"role": "system", "content": "Triage {{ticket}}."}]})
    version = create_version(engine, workload="test", name="triage", content=content, message="m", actor=admin)
    move_label(
        engine,
        PromptsConfig(default=ReviewPolicy(approvals_required=0)),
        workload="test",
        name="triage",
        label="production",
        version=version.version.version,
        reason="r",
        actor=admin,
    )
    gateway.call(gateway.state.slots[CATALOG].refresh)
    reply = sdk(gateway).responses.create(
        model="gpt-4o-mini",
        input="hi",
        prompt={"id": "triage", "variables": {"ticket": "t-9"}},  # type: ignore[typeddict-unknown-key]
    )
    assert reply.status == "completed" and reply.output_text
    gateway.flush()
    with gateway.state.engine.connect() as conn:
        row = conn.execute(select(requests.c.prompt_name)).one()
    assert row.prompt_name == "triage"


def test_the_chain_and_size_bounds_apply(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG + "responses:\n  max_chain: 2\n  max_bytes: 5000\n")
    client = sdk(gw)
    first = client.responses.create(model="gpt-4o-mini", input="one")
    second = client.responses.create(model="gpt-4o-mini", input="two", previous_response_id=first.id)
    with pytest.raises(openai.BadRequestError) as too_long:
        client.responses.create(model="gpt-4o-mini", input="three", previous_response_id=second.id)
    assert too_long.value.body["code"] == "conversation_too_long"  # type: ignore[index]
    assert too_long.value.body["param"] == "previous_response_id"  # type: ignore[index]
    big = client.responses.create(model="gpt-4o-mini", input="x" * 6000)
    assert big.status == "completed"
    with pytest.raises(openai.NotFoundError):  # answered, but over max_bytes: not kept
        client.responses.retrieve(big.id)
