"""`/v1/messages` through every step of the gateway: refusals in Anthropic's error shape (never a 500), keys
kept to their workload and models, limits, the request log row and span, the answer guard (JSON and streamed),
and a registry prompt expanded into a Messages call."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anthropic
import pytest
from sqlalchemy import select

from rungway.prompts.catalog import CATALOG
from rungway.prompts.config import PromptsConfig, ReviewPolicy
from rungway.prompts.model import Actor
from rungway.prompts.service import create_version, move_label
from rungway.prompts.template import PromptContent
from rungway.store.schema import requests
from tests.budgets.support import config_text, open_store, prespend, workload_budget
from tests.conftest import SIMULATOR_CONFIG
from tests.guardrails.conftest import AWS_KEY, EMAIL, SIMULATED
from tests.servers import Gateway

HI = [{"role": "user", "content": "hi"}]


def post(
    gw: Gateway, body: object, headers: dict[str, str], path: str = "/v1/messages"
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


def sdk(gw: Gateway, workload: str = "test", **key: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.base_url, api_key=gw.create_key(workload, **key).secret, max_retries=0)


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/messages/count_tokens"])
def test_authentication_failures_are_anthropic_errors(gateway: Gateway, path: str) -> None:
    body = {"model": "gpt-4o-mini", "max_tokens": 10, "messages": HI}
    for headers, status, kind in (
        ({}, 401, "authentication_error"),
        ({"x-api-key": "rw-not-a-key"}, 401, "authentication_error"),
        ({"Authorization": "Bearer rw-not-a-key"}, 401, "authentication_error"),
        ({"x-api-key": "admin-secret"}, 403, "permission_error"),
    ):
        got, _, answer = post(gateway, body, headers, path)
        assert got == status and answer["type"] == "error" and answer["error"]["type"] == kind, answer


BAD_BODIES: list[tuple[object, str]] = [
    (b"{", ""),
    (b"[1]", ""),
    ({"max_tokens": 10, "messages": HI}, "model"),
    ({"model": "gpt-4o-mini", "messages": HI}, "max_tokens"),
    ({"model": "gpt-4o-mini", "max_tokens": 0, "messages": HI}, "max_tokens"),
    ({"model": "gpt-4o-mini", "max_tokens": True, "messages": HI}, "max_tokens"),
    ({"model": "gpt-4o-mini", "max_tokens": 10, "messages": []}, "messages"),
    ({"model": "gpt-4o-mini", "max_tokens": 10, "messages": "hi"}, "messages"),
    ({"model": "gpt-4o-mini", "max_tokens": 10, "messages": [{"role": "system", "content": "x"}]}, "messages.0.role"),
    ({"model": "gpt-4o-mini", "max_tokens": 10, "messages": [{"role": "user", "content": 3}]}, "messages.0.content"),
    (
        {"model": "gpt-4o-mini", "max_tokens": 10, "messages": [{"role": "user", "content": [{"type": "audio"}]}]},
        "messages.0.content.0",
    ),
    (
        {
            "model": "gpt-4o-mini",
            "max_tokens": 10,
            "messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "file"}}]}],
        },
        "source",
    ),
    ({"model": "gpt-4o-mini", "max_tokens": 10, "messages": HI, "system": 5}, "system"),
    ({"model": "gpt-4o-mini", "max_tokens": 10, "messages": HI, "temperature": 2}, "temperature"),
    ({"model": "gpt-4o-mini", "max_tokens": 10, "messages": HI, "stop_sequences": "END"}, "stop_sequences"),
    ({"model": "gpt-4o-mini", "max_tokens": 10, "messages": HI, "tools": [{"name": "x"}]}, "tools.0.input_schema"),
    ({"model": "gpt-4o-mini", "max_tokens": 10, "messages": HI, "tool_choice": {"type": "sometimes"}}, "tool_choice"),
    ({"model": "gpt-4o-mini", "max_tokens": 10, "messages": HI, "metadata": {"team": "a"}}, "metadata.team"),
    ({"model": "gpt-4o-mini", "max_tokens": 10, "messages": HI, "stream": "yes"}, "stream"),
    ({"model": "gpt-4o-mini", "max_tokens": 10, "messages": HI, "frequency_penalty": 1}, "frequency_penalty"),
]


@pytest.mark.parametrize(("body", "names"), BAD_BODIES)
def test_bad_bodies_are_400_invalid_request_errors_naming_the_field(gateway: Gateway, body: object, names: str) -> None:
    status, _, answer = post(gateway, body, {"x-api-key": gateway.create_key().secret})
    assert status == 400, answer
    assert answer == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": answer["error"]["message"]},
    }
    assert names in answer["error"]["message"]


def test_a_body_over_the_limit_is_413_request_too_large(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(
        SIMULATOR_CONFIG.replace("  admin_key: admin-secret", "  admin_key: admin-secret\n  max_body_bytes: 2048")
    )
    body = {"model": "gpt-4o-mini", "max_tokens": 10, "messages": [{"role": "user", "content": "x" * 4096}]}
    for path in ("/v1/messages", "/v1/messages/count_tokens"):
        status, _, answer = post(gw, body, {"x-api-key": gw.create_key().secret}, path)
        assert status == 413 and answer["error"]["type"] == "request_too_large", answer


def test_unknown_and_forbidden_models_are_404_and_403(gateway: Gateway) -> None:
    with pytest.raises(anthropic.NotFoundError) as missing:
        sdk(gateway).messages.create(model="no-such-model", max_tokens=10, messages=HI)  # type: ignore[arg-type]
    assert missing.value.body["error"]["type"] == "not_found_error"  # type: ignore[index]
    narrow = sdk(gateway, allowed_models=["gpt-4o"])
    with pytest.raises(anthropic.PermissionDeniedError):
        narrow.messages.create(model="gpt-4o-mini", max_tokens=10, messages=HI)  # type: ignore[arg-type]
    with pytest.raises(anthropic.PermissionDeniedError):
        narrow.messages.count_tokens(model="gpt-4o-mini", messages=HI)  # type: ignore[arg-type]
    assert narrow.messages.create(model="gpt-4o", max_tokens=10, messages=HI).content  # type: ignore[arg-type]


def test_calls_are_recorded_to_the_callers_workload_with_tokens_cost_and_a_span(
    gateway_factory: Callable[..., Gateway],
) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG + "  other:\n    team: ops\n")
    mine = sdk(gw, "test").messages.create(model="gpt-4o-mini", max_tokens=30, messages=HI)  # type: ignore[arg-type]
    theirs = sdk(gw, "other").messages.create(model="gpt-4o-mini", max_tokens=30, messages=HI)  # type: ignore[arg-type]
    gw.flush()
    with gw.state.engine.connect() as conn:
        rows = conn.execute(select(requests.c.id, requests.c.workload, requests.c.endpoint, requests.c.cost_nano)).all()
        spans = conn.exec_driver_sql("select count(*) from spans").scalar()
    by_id = {row.id: row for row in rows}
    for message, workload in ((mine, "test"), (theirs, "other")):
        row = by_id["req_" + message.id.removeprefix("msg_")]
        assert row.workload == workload and row.endpoint == "messages" and row.cost_nano > 0
    assert spans is not None and spans >= 2


def test_a_rate_limit_is_a_429_rate_limit_error_with_retry_after(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG + "limits:\n  key_rpm: 1\n")
    key = gw.create_key().secret
    body = {"model": "gpt-4o-mini", "max_tokens": 10, "messages": HI}
    assert post(gw, body, {"x-api-key": key})[0] == 200
    status, headers, answer = post(gw, body, {"x-api-key": key})
    assert status == 429 and answer["error"]["type"] == "rate_limit_error" and int(headers["Retry-After"]) >= 1
    with pytest.raises(anthropic.RateLimitError):
        anthropic.Anthropic(base_url=gw.base_url, api_key=key, max_retries=0).messages.create(
            model="gpt-4o-mini",
            max_tokens=10,
            messages=HI,  # type: ignore[arg-type]
        )


def test_the_answer_guard_redacts_json_and_streamed_messages(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATED)
    client = sdk(gw, "out-redact")
    ask = [{"role": "user", "content": f"mail {EMAIL} key {AWS_KEY}"}]
    text = client.messages.create(model="gpt-4o-mini", max_tokens=100, messages=ask).content[0].text  # type: ignore[arg-type,union-attr]
    assert "[EMAIL_1]" in text and EMAIL not in text and AWS_KEY not in text
    with client.messages.stream(model="gpt-4o-mini", max_tokens=100, messages=ask) as stream:  # type: ignore[arg-type]
        streamed = "".join(stream.text_stream)
    assert "[EMAIL_1]" in streamed and "alice" not in streamed and AWS_KEY not in streamed


def test_the_answer_guard_blocks_json_and_ends_a_stream_with_an_error_event(
    gateway_factory: Callable[..., Gateway],
) -> None:
    gw = gateway_factory(SIMULATED)
    client = sdk(gw, "out-block")
    ask = [{"role": "user", "content": f"please mail {EMAIL} today"}]
    with pytest.raises(anthropic.UnprocessableEntityError) as blocked:
        client.messages.create(model="gpt-4o-mini", max_tokens=100, messages=ask)  # type: ignore[arg-type]
    assert blocked.value.body["type"] == "error" and "pii.email" in blocked.value.message  # type: ignore[index]
    status, _, raw = post(gw, {"model": "gpt-4o-mini", "max_tokens": 100, "messages": ask, "stream": True},
                          {"x-api-key": gw.create_key("out-block").secret})  # fmt: skip
    events = [block.split("\n", 1)[0] for block in raw.split("\n\n") if block]
    assert status == 200 and events[0] == "event: message_start" and events[-1] == "event: error"
    assert "message_stop" not in raw and "alice" not in raw and "pii.email" in raw


def test_a_registry_prompt_is_expanded_into_a_messages_call(gateway: Gateway) -> None:
    engine, admin = gateway.state.engine, Actor.server_admin()
    content = PromptContent.from_json({"messages": [{"role": "system", "content": "Triage {{ticket}}."}]})
    version = create_version(engine, workload="test", name="triage", content=content, message="m", actor=admin)
    move_label(engine, PromptsConfig(default=ReviewPolicy(approvals_required=0)), workload="test", name="triage",
               label="production", version=version.version.version, reason="r", actor=admin)  # fmt: skip
    gateway.call(gateway.state.slots[CATALOG].refresh)
    reply = sdk(gateway).messages.create(
        model="gpt-4o-mini", max_tokens=50, messages=HI,  # type: ignore[arg-type]
        extra_body={"prompt": {"id": "triage", "variables": {"ticket": "t-9"}}},
    )  # fmt: skip
    assert reply.content and reply.stop_reason == "end_turn"
    gateway.flush()
    with engine.connect() as conn:
        row = conn.execute(select(requests.c.prompt_name, requests.c.prompt_version, requests.c.endpoint)).one()
    assert tuple(row) == ("triage", version.version.version, "messages")


def test_a_hard_budget_refuses_a_messages_call_as_a_rate_limit_error(
    gateway_factory: Callable[..., Gateway], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/budget.db"
    engine = open_store(url)
    prespend(engine, 999_000)
    workload_budget(engine, "test-daily", "0.001", period="daily")
    gw = gateway_factory(config_text(latency_ms=0), store_url=url)
    with pytest.raises(anthropic.RateLimitError) as refused:
        sdk(gw).messages.create(model="gpt-4o-mini", max_tokens=200, messages=HI)  # type: ignore[arg-type]
    body = refused.value.body
    assert isinstance(body, dict) and body["error"]["type"] == "rate_limit_error"
    assert "'test-daily'" in body["error"]["message"]
    assert 1 <= int(refused.value.response.headers["retry-after"]) <= 86400
