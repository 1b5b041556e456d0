"""The pipeline's extension points (`gateway/pipeline.py`): an `expand_body` step rewrites the chat body
after authentication and before the body is checked, and what it names (a prompt version) reaches the
request log, its filters and the llm span; without one, reading and checking stay a single step."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest

from rungway.capability import Capability, GatewayState, Host, Installed, PipelineExtension, load_capabilities
from rungway.errors import InvalidRequest
from rungway.gateway.body import check_read_chat_body, parse_chat_body, read_chat_body
from rungway.gateway.context import CallContext
from rungway.gateway.pipeline import build_pipelines
from rungway.traces.store import get_trace
from tests.api.http import call
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway, write_config

CANNED = [{"role": "system", "content": "You answer in haiku."}]


async def expand_canned(state: GatewayState, ctx: CallContext) -> None:
    """A stand-in for a prompt reference: `"canned": {"name": N, "version": V}` supplies model and messages."""
    assert ctx.key is not None, "expand_body steps run after authentication"
    canned = ctx.body.pop("canned", None)
    if canned is None:
        return
    if not isinstance(canned, dict) or not isinstance(canned.get("name"), str):
        raise InvalidRequest("'canned.name' must be a string.", param="canned.name")
    ctx.body.setdefault("model", "gpt-4o")
    ctx.body["messages"] = [*CANNED, *ctx.body.get("messages", ())]
    ctx.prompt_name = canned["name"]
    ctx.prompt_version = canned.get("version")


def _install(host: Host) -> Installed:
    return Installed(pipeline=[PipelineExtension("canned", expand_body=[expand_canned])])


CANNED_CAPABILITY = Capability("canned", _install)


@pytest.fixture
def canned_gateway(tmp_path: Path, store_url: str) -> Any:
    config = write_config(tmp_path, SIMULATOR_CONFIG.replace("{store_url}", store_url))
    config = dataclasses.replace(
        config, recorder=dataclasses.replace(config.recorder, spill_dir=str(tmp_path / "spill"))
    )
    gw = Gateway(config, [*load_capabilities(), CANNED_CAPABILITY])
    try:
        yield gw
    finally:
        gw.stop()


def test_without_an_expansion_reading_and_checking_the_chat_body_stay_one_step() -> None:
    before = build_pipelines()["chat.completions"].before
    assert parse_chat_body in before
    assert read_chat_body not in before and check_read_chat_body not in before


def test_expansions_run_between_reading_and_checking_in_extension_order() -> None:
    async def first(state: GatewayState, ctx: CallContext) -> None: ...
    async def second(state: GatewayState, ctx: CallContext) -> None: ...

    extensions = [PipelineExtension("a", expand_body=[first]), PipelineExtension("b", expand_body=[second])]
    before = list(build_pipelines(extensions)["chat.completions"].before)
    assert before[1:5] == [read_chat_body, first, second, check_read_chat_body]
    assert first not in build_pipelines(extensions)["embeddings"].before  # chat completions only


def test_an_expansion_supplies_the_fields_the_check_requires_and_names_the_prompt_in_the_log_and_span(
    canned_gateway: Gateway,
) -> None:
    gw = canned_gateway
    client = gw.sdk()
    raw = client.chat.completions.with_raw_response.create(
        model=openai.NOT_GIVEN,
        messages=[{"role": "user", "content": "hello"}],
        extra_body={"canned": {"name": "haiku", "version": 7}},
    )
    assert raw.parse().choices[0].message.content
    plain = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert plain.choices
    gw.flush()

    status, logs = call(gw, "GET", "/api/logs")
    assert status == 200
    rows = {r["id"]: r for r in logs["data"]}
    with_prompt = rows[raw.headers["x-request-id"]]
    assert (with_prompt["model_requested"], with_prompt["prompt_name"], with_prompt["prompt_version"]) == (
        "gpt-4o",
        "haiku",
        7,
    )
    assert [(r["prompt_name"], r["prompt_version"]) for r in rows.values() if r is not with_prompt] == [(None, None)]
    assert [r["id"] for r in call(gw, "GET", "/api/logs?prompt=haiku")[1]["data"]] == [with_prompt["id"]]
    assert [r["id"] for r in call(gw, "GET", "/api/logs?prompt=haiku@7")[1]["data"]] == [with_prompt["id"]]
    assert call(gw, "GET", "/api/logs?prompt=haiku@8")[1]["data"] == []

    found = get_trace(gw.state.engine, raw.headers["x-rungway-trace-id"])
    assert found is not None
    attributes = orjson.loads(found[1][0]["content"])["attributes"]
    assert (attributes["gen_ai.prompt.name"], attributes["rungway.prompt.version"]) == ("haiku", 7)
    assert attributes["gen_ai.input.messages"][0] == CANNED[0]  # the span holds the body as expanded
    assert "gen_ai.request.canned" not in attributes


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"canned": {"name": 3}}, "canned.name"),  # the expansion's own error
        ({"canned": {"name": "haiku"}, "stream": "yes"}, "stream"),  # the check still runs after it
    ],
)
def test_a_bad_body_around_an_expansion_is_a_400_naming_the_field(
    canned_gateway: Gateway, extra: dict[str, Any], param: str
) -> None:
    status, body = call(
        canned_gateway, "POST", "/v1/chat/completions", canned_gateway.create_key().secret, {"messages": [], **extra}
    )
    assert status == 400
    assert body["error"]["param"] == param


@pytest.mark.parametrize("value", ["has space", "x@0", "x@", "@3", "x@3@4", "x" * 129, "x@1234567890"])
def test_the_prompt_filter_refuses_what_is_not_a_name_or_name_at_version(
    gateway_factory: Callable[..., Gateway], value: str
) -> None:
    status, body = call(gateway_factory(), "GET", f"/api/logs?prompt={value.replace(' ', '%20')}")
    assert status == 400
    assert body["error"]["param"] == "prompt"
