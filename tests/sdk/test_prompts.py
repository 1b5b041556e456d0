"""`rungway.sdk.prompts` against a real server: fetch, render, cache for a TTL, and the last good copy
while the server is stopped or failing."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import rungway.sdk as rw
from rungway.prompts.public import PromptVariableError
from rungway.sdk import prompts
from rungway.sdk.prompts import PromptFetchError, PromptLibrary
from tests.api.http import call
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import AppServer, Gateway, write_config

CONFIG = SIMULATOR_CONFIG + "prompts:\n  approvals_required: 0\n"
CONTENT: dict[str, Any] = {
    "messages": [{"role": "system", "content": "Answer {{question}} for {{company}}."}],
    "variables": [{"name": "company", "default": "Acme", "required": False}],
    "model": "gpt-4o",
    "parameters": {"temperature": 0.3},
}


class Clock:
    """A monotonic clock the test moves by hand, so TTLs expire without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def new_version(gw: Gateway, text: str, *, move_production: bool = True) -> int:
    content = {**CONTENT, "messages": [{"role": "system", "content": text}]}
    status, made = call(gw, "POST", "/api/prompts", body={"name": "greet", "workload": "test", **content})
    assert status in (200, 201), made
    version = int(made["version"])
    if move_production:
        status, moved = call(
            gw, "POST", "/api/prompts/greet/labels/production?workload=test", body={"version": version, "reason": "t"}
        )
        assert status in (200, 201), moved
    return version


class StoppableGateway(Gateway):
    """A gateway a test may stop itself (the fallback test) and the fixture stops otherwise."""

    stopped = False

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            super().stop()


@pytest.fixture
def server(tmp_path: Path, store_url: str) -> Iterator[Gateway]:
    """A server of its own; the prompt `greet` v1 at label production."""
    config = write_config(tmp_path, CONFIG.replace("{store_url}", store_url))
    config = dataclasses.replace(config, recorder=dataclasses.replace(config.recorder, spill_dir=str(tmp_path / "s")))
    gw = StoppableGateway(config)
    try:
        new_version(gw, "Answer {{question}} for {{company}}.")
        yield gw
    finally:
        gw.stop()


def library(gw: Gateway, clock: Clock, ttl_s: float = 60.0) -> PromptLibrary:
    return PromptLibrary(gw.base_url, gw.create_key().secret, ttl_s=ttl_s, clock=clock)


def test_get_renders_openai_messages_with_the_versions_model_and_parameters(server: Gateway) -> None:
    handle = library(server, Clock()).get("greet")
    assert (handle.name, handle.version, handle.model, handle.parameters) == (
        "greet",
        1,
        "gpt-4o",
        {"temperature": 0.3},
    )
    assert "production" in handle.labels
    assert handle.render(question="Where is my order?") == [
        {"role": "system", "content": "Answer Where is my order? for Acme."}
    ]
    with pytest.raises(PromptVariableError, match="greet@1"):
        handle.render()


def test_the_module_get_uses_the_configured_gateway_and_key(server: Gateway) -> None:
    rw.configure(server.base_url, api_key=server.create_key().secret)
    try:
        prompts.configure(ttl_s=5)
        assert prompts.get("greet", version=1).render(question="q", company="Globex") == [
            {"role": "system", "content": "Answer q for Globex."}
        ]
    finally:
        rw.shutdown()
        prompts.configure()


def test_a_version_is_served_from_memory_until_the_ttl_expires(server: Gateway) -> None:
    clock = Clock()
    lib = library(server, clock, ttl_s=60)
    assert lib.get("greet", label="production").version == 1
    new_version(server, "Version two: {{question}}")
    clock.now += 59
    assert lib.get("greet", label="production").version == 1  # still cached
    clock.now += 2
    fresh = lib.get("greet", label="production")
    assert fresh.version == 2 and fresh.render(question="q") == [{"role": "system", "content": "Version two: q"}]


def test_while_the_server_is_stopped_the_last_good_copy_is_served_with_one_warning(
    server: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    lib = library(server, clock, ttl_s=10)
    cold = library(server, clock)
    first = lib.get("greet")
    server.stop()
    clock.now += 11
    with caplog.at_level(logging.WARNING, logger="rungway.sdk.prompts"):
        assert lib.get("greet") is first
        clock.now += 11
        assert lib.get("greet") is first
    warnings = [r for r in caplog.records if r.name == "rungway.sdk.prompts"]
    assert len(warnings) == 1 and "greet@1" in warnings[0].getMessage()
    with pytest.raises(PromptFetchError) as caught:  # nothing cached: nothing to fall back on
        cold.get("greet")
    assert caught.value.status is None


@pytest.fixture
def failing() -> Iterator[AppServer]:
    """A server that answers every request 503, as a gateway behind a failing load balancer would."""

    async def unavailable(_request: web.Request) -> web.Response:
        return web.json_response({"error": {"message": "upstream unavailable"}}, status=503)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", unavailable)
    server = AppServer(app)
    try:
        yield server
    finally:
        server.stop()


def test_a_5xx_answer_serves_the_last_good_copy_and_a_4xx_is_raised(server: Gateway, failing: AppServer) -> None:
    clock = Clock()
    lib = library(server, clock, ttl_s=1)
    first = lib.get("greet")
    lib.base_url = failing.base_url
    clock.now += 2
    assert lib.get("greet") is first
    lib.base_url = server.base_url
    with pytest.raises(PromptFetchError) as caught:
        lib.get("no-such-prompt")
    assert caught.value.status == 404


def test_another_workloads_key_cannot_fetch_the_prompt(server: Gateway) -> None:
    outsider = PromptLibrary(server.base_url, server.create_key("elsewhere").secret, clock=Clock())
    with pytest.raises(PromptFetchError) as caught:
        outsider.get("greet")
    assert caught.value.status == 404


def test_a_label_and_a_version_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        PromptLibrary("http://127.0.0.1:9", "k").get("greet", label="production", version=1)
