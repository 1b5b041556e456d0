"""A chat completion that names a registry prompt (`prompts/steps.py`), through the openai SDK, on both stores.

The gateway renders the version from its in-memory catalog, applies the version's model and
parameters unless the call sets them, puts the rendered messages before the call's own, and the
request log and the llm span name the version. The simulator does not echo its input, so what went
upstream is read from the llm span (`gen_ai.request.*`, `gen_ai.input.messages`) and the request log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai
import orjson
import pytest

from rungway.prompts.catalog import CATALOG
from rungway.prompts.config import PROMPTS_SECTION
from rungway.prompts.model import Actor
from rungway.prompts.service import create_version, move_label
from rungway.prompts.template import PromptContent
from rungway.traces.store import get_trace
from tests.api.http import call
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway

CONFIG = SIMULATOR_CONFIG + "  other: {}\nprompts:\n  approvals_required: 0\n"

ANSWER: dict[str, Any] = {
    "messages": [
        {"role": "system", "content": "You answer for {{company}}, briefly."},
        {"role": "user", "content": "{{question}}"},
    ],
    "variables": [
        {"name": "company", "type": "string", "required": False, "default": "Acme"},
        {"name": "question", "type": "string", "required": True},
    ],
    "model": "gpt-4o",
    "parameters": {"temperature": 0.2, "max_tokens": 5},
}


ADMIN = Actor.server_admin()


def create(gw: Gateway, name: str, content: dict[str, Any], *, workload: str | None = "test") -> int:
    """A new version (as the server's admin), in the gateway's catalog at once; its number."""
    made = create_version(
        gw.state.engine,
        workload=workload,
        name=name,
        content=PromptContent.from_json(content),
        message="test version",
        actor=ADMIN,
    )
    gw.call(gw.state.slots[CATALOG].refresh)
    return made.version.version


def label(gw: Gateway, name: str, label_name: str, version: int, workload: str | None = "test") -> None:
    policy = gw.state.config.section(PROMPTS_SECTION)
    move_label(
        gw.state.engine,
        policy,
        workload=workload,
        name=name,
        label=label_name,
        version=version,
        reason="t",
        actor=ADMIN,
    )
    gw.call(gw.state.slots[CATALOG].refresh)


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    gateway = gateway_factory(CONFIG, store_url=store_url)
    label(gateway, "support-answer", "production", create(gateway, "support-answer", ANSWER))
    return gateway


def span_of(gw: Gateway, trace_id: str) -> dict[str, Any]:
    gw.flush()
    found = get_trace(gw.state.engine, trace_id)
    assert found is not None
    attributes: dict[str, Any] = orjson.loads(found[1][0]["content"])["attributes"]
    return attributes


def log_row(gw: Gateway, request_id: str) -> dict[str, Any]:
    gw.flush()
    status, page = call(gw, "GET", "/api/logs?limit=1000")
    assert status == 200
    return next(r for r in page["data"] if r["id"] == request_id)


def test_a_reference_renders_the_version_with_its_model_and_parameters_and_the_log_and_span_name_it(
    gw: Gateway,
) -> None:
    raw = gw.sdk().chat.completions.with_raw_response.create(
        model=openai.NOT_GIVEN,
        messages=[{"role": "user", "content": "And in French?"}],
        extra_body={"prompt": {"id": "support-answer", "variables": {"question": "Where is my order?"}}},
    )
    answer = raw.parse()
    assert answer.usage is not None and answer.usage.completion_tokens <= 5  # the version's max_tokens
    row = log_row(gw, raw.headers["x-request-id"])
    assert (row["model_requested"], row["prompt_name"], row["prompt_version"]) == ("gpt-4o", "support-answer", 1)
    span = span_of(gw, raw.headers["x-rungway-trace-id"])
    assert (span["gen_ai.prompt.name"], span["rungway.prompt.version"]) == ("support-answer", 1)
    assert (span["gen_ai.request.temperature"], span["gen_ai.request.max_tokens"]) == (0.2, 5)
    assert span["gen_ai.input.messages"] == [
        {"role": "system", "content": "You answer for Acme, briefly."},
        {"role": "user", "content": "Where is my order?"},
        {"role": "user", "content": "And in French?"},
    ]
    assert "gen_ai.request.prompt" not in span  # the reference itself never goes upstream


def test_what_the_call_sets_wins_over_the_version(gw: Gateway) -> None:
    raw = gw.sdk().chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=openai.NOT_GIVEN,
        temperature=0.9,
        extra_body={"prompt": {"id": "support-answer", "version": "1", "variables": {"question": "Hi?"}}},
    )
    row = log_row(gw, raw.headers["x-request-id"])
    assert (row["model_requested"], row["prompt_version"]) == ("gpt-4o-mini", 1)
    span = span_of(gw, raw.headers["x-rungway-trace-id"])
    assert (span["gen_ai.request.temperature"], span["gen_ai.request.max_tokens"]) == (0.9, 5)


def test_a_streamed_call_by_reference_is_answered_and_logged(gw: Gateway) -> None:
    stream = gw.sdk().chat.completions.create(
        model=openai.NOT_GIVEN,
        messages=openai.NOT_GIVEN,
        stream=True,
        extra_body={"prompt": {"id": "support-answer", "label": "latest", "variables": {"question": "Hi?"}}},
    )
    assert any(chunk.choices and chunk.choices[0].delta.content for chunk in stream)
    gw.flush()
    _, page = call(gw, "GET", "/api/logs?prompt=support-answer@1")
    assert [(r["stream"], r["model_requested"]) for r in page["data"]] == [(True, "gpt-4o")]


def test_a_missing_variable_is_a_400_naming_it_and_the_version(gw: Gateway) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        gw.sdk().chat.completions.create(
            model=openai.NOT_GIVEN, messages=openai.NOT_GIVEN, extra_body={"prompt": {"id": "support-answer"}}
        )
    error = caught.value.body
    assert isinstance(error, dict)
    assert "question" in error["message"] and "support-answer@1" in error["message"]
    assert error["param"] == "prompt.variables.question"
    gw.flush()
    _, page = call(gw, "GET", "/api/logs?prompt=support-answer@1&errors=true")
    assert [r["status"] for r in page["data"]] == [400]  # the refusal counts against the version


def _refusal(gw: Gateway, secret: str, reference: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, body = call(gw, "POST", "/v1/chat/completions", secret, {"prompt": reference})
    return status, body["error"]


def test_another_workloads_prompt_is_answered_exactly_like_a_missing_one(gw: Gateway) -> None:
    version = create(gw, "secret-sauce", ANSWER, workload="other")
    secret = gw.create_key("test").secret
    status, theirs = _refusal(gw, secret, {"id": "secret-sauce", "version": version})
    status_missing, missing = _refusal(gw, secret, {"id": "no-such-prompt", "version": version})
    assert status == status_missing == 404
    assert theirs["param"] == missing["param"] == "prompt.id"
    assert theirs["message"] == missing["message"].replace("no-such-prompt", "secret-sauce")
    own = gw.create_key("other").secret
    assert call(gw, "POST", "/v1/chat/completions", own, {"prompt": {"id": "secret-sauce", "version": version,
                "variables": {"question": "?"}}})[0] == 200  # fmt: skip


def test_a_shared_prompt_resolves_from_every_workload(gw: Gateway) -> None:
    create(gw, "house-style", {"messages": [{"role": "system", "content": "Be kind."}]}, workload=None)
    for workload in ("test", "other"):
        raw = gw.sdk(gw.create_key(workload).secret).chat.completions.with_raw_response.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hello"}],
            extra_body={"prompt": {"id": "house-style", "label": "latest"}},
        )
        assert log_row(gw, raw.headers["x-request-id"])["prompt_name"] == "house-style"


def test_a_label_the_prompt_does_not_have_is_a_400_naming_the_fix_and_a_missing_version_a_404(gw: Gateway) -> None:
    secret = gw.create_key().secret
    status, error = _refusal(gw, secret, {"id": "support-answer", "label": "staging"})
    assert (status, error["param"]) == (400, "prompt.label")
    assert "staging" in error["message"] and "rungway prompts label" in error["message"]
    status, error = _refusal(gw, secret, {"id": "support-answer", "version": 9})
    assert (status, error["param"]) == (404, "prompt.version")


BAD_REFERENCES: list[tuple[Any, str]] = [
    ("support-answer", "prompt"),
    ({"label": "production"}, "prompt.id"),
    ({"id": 7}, "prompt.id"),
    ({"id": "has space"}, "prompt.id"),
    ({"id": "x" * 129}, "prompt.id"),
    ({"id": "support-answer", "version": "three"}, "prompt.version"),
    ({"id": "support-answer", "version": 0}, "prompt.version"),
    ({"id": "support-answer", "version": True}, "prompt.version"),
    ({"id": "support-answer", "version": "99999999999"}, "prompt.version"),
    ({"id": "support-answer", "label": "Prod"}, "prompt.label"),
    ({"id": "support-answer", "label": 3}, "prompt.label"),
    ({"id": "support-answer", "label": "production", "version": "1"}, "prompt.label"),
    ({"id": "support-answer", "variables": ["question"]}, "prompt.variables"),
    ({"id": "support-answer", "variables": {f"v{i}": "x" for i in range(65)}}, "prompt.variables"),
    ({"id": "support-answer", "variables": {"question": "x" * 1_048_577}}, "prompt.variables.question"),
    ({"id": "support-answer", "variables": {"question": {"deep": ["x" * 1_048_577]}}}, "prompt.variables.question"),
    ({"id": "support-answer", "variables": {"question": 42}}, "prompt.variables.question"),
    ({"id": "support-answer", "variables": {"question": "?", "colour": "red"}}, "prompt.variables.colour"),
    ({"id": "support-answer", "extra": 1}, "prompt"),
]


def test_each_field_of_a_reference_is_checked_at_the_edge(gw: Gateway) -> None:
    secret = gw.create_key().secret
    for reference, param in BAD_REFERENCES:
        status, error = _refusal(gw, secret, reference)
        assert (status, error["param"]) == (400, param), (str(reference)[:200], error)
    gw.flush()
    _, page = call(gw, "GET", "/api/logs?errors=true&limit=1000")
    assert len(page["data"]) == len(BAD_REFERENCES)  # each refusal is logged like any call
    named = [r["error_message"] for r in page["data"] if r["prompt_name"] == "support-answer"]
    assert len(named) == 2  # only the variables' refusals resolved a version, and count against it
    assert all("support-answer@1" in message for message in named)
