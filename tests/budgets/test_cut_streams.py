"""Streams that end before the upstream's usage chunk are still priced, logged and settled on the budget.

A loopback upstream speaking OpenAI's SSE streams one token per event and never sends its usage chunk
on the two paths that matter: the client hangs up mid-stream, or the upstream connection dies.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import openai
import orjson
import pytest
from aiohttp import web

from tests.budgets.support import api, open_store, workload_budget
from tests.servers import AppServer, Gateway

INPUT_NANO, OUTPUT_NANO = 150, 600  # gpt-4o-mini per token
RELAYED_BEFORE_HANGUP = 97


class TokenStreamUpstream:
    """`/v1/chat/completions` streaming one-token chunks; the model name says how the stream ends."""

    def __init__(self) -> None:
        self.client_gone = threading.Event()
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.chat)
        self.server = AppServer(app)
        self.base_url = self.server.base_url + "/v1"

    @staticmethod
    def _event(model: str, delta: dict[str, Any]) -> bytes:
        chunk = {
            "id": "chatcmpl-cut",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
        }
        return b"data: " + orjson.dumps(chunk) + b"\n\n"

    async def chat(self, request: web.Request) -> web.StreamResponse:
        model = (await request.json())["model"]
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        if model.endswith("late-start"):  # nothing until the client has given up waiting
            await asyncio.to_thread(self.client_gone.wait, 30)
        await response.write(self._event(model, {"role": "assistant", "content": ""}))
        for _ in range(RELAYED_BEFORE_HANGUP):
            await response.write(self._event(model, {"content": " tok"}))
        if model.endswith("upstream-dies"):
            assert request.transport is not None
            request.transport.close()
            return response
        # Hold the rest until the client has gone, then keep generating until the gateway stops reading.
        await asyncio.to_thread(self.client_gone.wait, 30)
        try:
            for _ in range(10_000):
                await response.write(self._event(model, {"content": " tok"}))
                await asyncio.sleep(0.01)
        except ConnectionError:
            pass
        return response

    def stop(self) -> None:
        self.client_gone.set()
        self.server.stop()


CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
counters:
  backend: memory
providers:
  up:
    type: openai
    base_url: BASE_URL
    api_key: sk-upstream
models:
  gpt-4o-mini:
    provider: up
    model: gpt-4o-mini-2024-07-18
  gpt-4o-mini-late:
    provider: up
    model: gpt-4o-mini-late-start
    price: {input: 0.15, output: 0.60}
  gpt-4o-mini-dies:
    provider: up
    model: gpt-4o-mini-upstream-dies
    price: {input: 0.15, output: 0.60}
workloads:
  test: {}
"""


@pytest.fixture
def upstream() -> Iterator[TokenStreamUpstream]:
    server = TokenStreamUpstream()
    try:
        yield server
    finally:
        server.stop()


def _record(gw: Gateway) -> dict[str, Any]:
    gw.flush()
    with gw.state.engine.connect() as conn:
        row = conn.exec_driver_sql("select status, tokens_in, tokens_out, cost_nano, priced from requests").one()
    return dict(row._mapping)


def _budget_state(gw: Gateway) -> dict[str, Any]:
    status, body = api(gw.base_url, "/api/budgets/test-monthly")
    assert status == 200, body
    return dict(body)


def test_client_hanging_up_mid_stream_pays_for_the_relayed_output_and_the_budget_settles_on_it(
    gateway_factory: Callable[..., Gateway], upstream: TokenStreamUpstream, store_url: str
) -> None:
    workload_budget(open_store(store_url), "test-monthly", "1")
    gw = gateway_factory(CONFIG.replace("BASE_URL", upstream.base_url), store_url=store_url)
    client = gw.sdk(gw.create_key("test").secret)

    received = 0
    with client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Count"}], stream=True, max_tokens=500
    ) as stream:
        for chunk in stream:
            received += bool(chunk.choices and chunk.choices[0].delta.content)
            if received == RELAYED_BEFORE_HANGUP:
                break  # leaving the `with` closes the connection before the last chunk and the usage
    upstream.client_gone.set()

    record = _record(gw)
    assert record["status"] == 499
    assert record["tokens_out"] >= RELAYED_BEFORE_HANGUP and record["tokens_in"] >= 1
    assert record["priced"]
    assert record["cost_nano"] == record["tokens_in"] * INPUT_NANO + record["tokens_out"] * OUTPUT_NANO
    budget = _budget_state(gw)
    assert budget["spent_nano"] == budget["logged_nano"] == record["cost_nano"]
    assert budget["reserved_nano"] == 0


def test_upstream_dying_mid_stream_is_priced_from_the_output_relayed_before_it_died(
    gateway_factory: Callable[..., Gateway], upstream: TokenStreamUpstream, store_url: str
) -> None:
    workload_budget(open_store(store_url), "test-monthly", "1")
    gw = gateway_factory(CONFIG.replace("BASE_URL", upstream.base_url), store_url=store_url)
    client = gw.sdk(gw.create_key("test").secret)

    received = 0
    with pytest.raises(openai.APIError):  # the gateway ends the stream with an error event
        for chunk in client.chat.completions.create(
            model="gpt-4o-mini-dies", messages=[{"role": "user", "content": "Count"}], stream=True
        ):
            received += bool(chunk.choices and chunk.choices[0].delta.content)

    record = _record(gw)
    assert received == RELAYED_BEFORE_HANGUP
    assert record["status"] >= 500
    assert record["tokens_out"] == RELAYED_BEFORE_HANGUP
    assert record["cost_nano"] == record["tokens_in"] * INPUT_NANO + record["tokens_out"] * OUTPUT_NANO > 0
    budget = _budget_state(gw)
    assert budget["spent_nano"] == budget["logged_nano"] == record["cost_nano"]
    assert budget["reserved_nano"] == 0


def test_client_gone_before_the_first_chunk_is_logged_499_and_pays_for_the_prompt(
    gateway_factory: Callable[..., Gateway], upstream: TokenStreamUpstream, store_url: str
) -> None:
    workload_budget(open_store(store_url), "test-monthly", "1")
    gw = gateway_factory(CONFIG.replace("BASE_URL", upstream.base_url), store_url=store_url)
    client = openai.OpenAI(base_url=gw.openai_base, api_key=gw.create_key("test").secret, max_retries=0, timeout=0.5)

    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(
            model="gpt-4o-mini-late", messages=[{"role": "user", "content": "Count"}], stream=True
        )
    upstream.client_gone.set()

    record = _record(gw)
    assert record["status"] == 499
    assert record["tokens_in"] >= 1 and record["priced"]
    assert record["cost_nano"] == record["tokens_in"] * INPUT_NANO + record["tokens_out"] * OUTPUT_NANO > 0
    budget = _budget_state(gw)
    assert budget["spent_nano"] == budget["logged_nano"] == record["cost_nano"]
    assert budget["reserved_nano"] == 0
