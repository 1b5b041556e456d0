"""An upstream reporting absurd usage (10^17 tokens, negative numbers, non-integers) cannot blow up a budget,
the request log or the budgets API: usage is bounded by what the call could use and the anomaly recorded."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from aiohttp import web
from alembic import command

from rungway.budgets.model import MAX_SPEND_NANO
from rungway.capability import migration_packages
from rungway.store.engine import create_store_engine
from rungway.store.migrate import alembic_config
from tests.budgets.support import api, get_text, open_store, prespend, workload_budget
from tests.servers import AppServer, Gateway

INPUT_NANO, OUTPUT_NANO = 150, 600
MAX_TOKENS = 50
REPORTED: dict[str, dict[str, Any]] = {
    "huge": {"prompt_tokens": 10**17, "completion_tokens": 10**17, "total_tokens": 2 * 10**17},
    "negative": {"prompt_tokens": -5, "completion_tokens": -1_000_000, "total_tokens": 0},
    "fraction": {"prompt_tokens": 12.5, "completion_tokens": "many", "total_tokens": None},
    "cached": {"prompt_tokens": 10, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": 10**12}},
}


class AbsurdUsageUpstream:
    """`/v1/chat/completions` answering a normal completion whose usage is the one named by the model."""

    def __init__(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.chat)
        self.server = AppServer(app)
        self.base_url = self.server.base_url + "/v1"

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        usage = REPORTED[body["model"].rpartition("-")[2]]
        message = {"role": "assistant", "content": "Hi"}
        base = {"id": "chatcmpl-x", "created": 1_700_000_000, "model": body["model"]}
        if not body.get("stream"):
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            answer = {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
            return web.Response(body=orjson.dumps(answer), content_type="application/json")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        delta = {"index": 0, "delta": message, "finish_reason": "stop"}
        for event in (
            {**base, "object": "chat.completion.chunk", "choices": [delta]},
            {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage},
        ):
            await response.write(b"data: " + orjson.dumps(event) + b"\n\n")
        await response.write(b"data: [DONE]\n\n")
        return response

    def stop(self) -> None:
        self.server.stop()


CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  up:
    type: openai
    base_url: BASE_URL
    api_key: sk-upstream
models:
  gpt-4o-mini:
    provider: up
    model: absurd-huge
    price: {input: 0.15, output: 0.60}
MODELS
workloads:
  test: {}
"""
MODELS = "".join(
    f"  mini-{name}:\n    provider: up\n    model: absurd-{name}\n    price: {{input: 0.15, output: 0.60}}\n"
    for name in REPORTED
)


@pytest.fixture
def upstream() -> Iterator[AbsurdUsageUpstream]:
    server = AbsurdUsageUpstream()
    try:
        yield server
    finally:
        server.stop()


def test_absurd_upstream_usage_is_bounded_recorded_counted_and_logged_once(
    gateway_factory: Callable[..., Gateway],
    upstream: AbsurdUsageUpstream,
    store_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    workload_budget(open_store(store_url), "test-monthly", "1")
    config = CONFIG.replace("BASE_URL", upstream.base_url).replace("MODELS", MODELS)
    gw = gateway_factory(config, store_url=store_url)
    client = gw.sdk(gw.create_key("test").secret)
    messages = [{"role": "user", "content": "Hello there"}]

    with caplog.at_level(logging.WARNING, logger="rungway.gateway.meter"):
        for name in REPORTED:
            for stream in (False, True):
                reply = client.chat.completions.create(
                    model=f"mini-{name}", messages=messages, max_tokens=MAX_TOKENS, stream=stream
                )
                if stream:
                    list(reply)  # type: ignore[call-overload]
        gw.flush()

    with gw.state.engine.connect() as conn:
        rows = [
            dict(r._mapping)
            for r in conn.exec_driver_sql(
                "select model_requested, status, tokens_in, tokens_out, tokens_cached, cost_nano, usage_anomaly "
                "from requests"
            )
        ]
    assert len(rows) == 2 * len(REPORTED)
    for row in rows:
        assert row["status"] == 200 and row["usage_anomaly"], row
        assert 0 <= row["tokens_in"] <= 1_000 and 0 <= row["tokens_out"] <= MAX_TOKENS, row
        assert 0 <= row["tokens_cached"] <= row["tokens_in"], row
        assert row["cost_nano"] == row["tokens_in"] * INPUT_NANO + row["tokens_out"] * OUTPUT_NANO
    metrics = get_text(gw.base_url + "/metrics")
    for name in REPORTED:
        assert f'rungway_usage_anomalies_total{{model="mini-{name}"}} 2.0' in metrics
    logged = [r for r in caplog.records if "corrected" in r.getMessage()]
    assert sorted(r.getMessage().split()[4] for r in logged) == sorted(f"mini-{n}" for n in REPORTED)
    status, budget = api(gw.base_url, "/api/budgets/test-monthly")
    assert status == 200 and budget["spent_nano"] == sum(r["cost_nano"] for r in rows) < 1_000_000_000
    # The budget is not exhausted by the absurd reports: a normal call is still admitted.
    assert client.chat.completions.create(model="mini-cached", messages=messages, max_tokens=5).choices


def test_budgets_api_answers_with_poisoned_request_log_rows(
    gateway_factory: Callable[..., Gateway], upstream: AbsurdUsageUpstream, store_url: str
) -> None:
    engine = open_store(store_url)
    workload_budget(engine, "test-monthly", "1")
    prespend(engine, 2**63 - 1)  # rows written before usage was bounded: their sum overflows 64 bits
    prespend(engine, 2**63 - 1)
    gw = gateway_factory(CONFIG.replace("BASE_URL", upstream.base_url).replace("MODELS", ""), store_url=store_url)

    for path in ("/api/budgets", "/api/budgets/test-monthly"):
        status, body = api(gw.base_url, path)
        assert status == 200, body
    assert body["spent_nano"] == body["logged_nano"] == MAX_SPEND_NANO
    assert body["overspend_nano"] == MAX_SPEND_NANO - 1_000_000_000


def test_rows_with_absurd_figures_written_before_the_bound_are_capped_when_the_store_is_upgraded(
    gateway_factory: Callable[..., Gateway], upstream: AbsurdUsageUpstream, store_url: str
) -> None:
    engine = create_store_engine(store_url)
    config = alembic_config(migration_packages())
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "b0001")  # the schema as it was before usage was bounded
        for i, tokens in enumerate((2**31 - 1, -7)):
            connection.exec_driver_sql(
                "INSERT INTO requests (id, ts_start, ts_end, workload, tags, endpoint, status, stream, latency_ms, "
                "tokens_in, tokens_out, tokens_cached, cost_nano, priced) VALUES "
                f"('req_old{i}', {time.time()}, {time.time()}, 'test', '{{}}', 'chat.completions', 200, false, 1, "
                f"{tokens}, {tokens}, 0, {2**63 - 1}, true)"
            )
    workload_budget(open_store(store_url), "test-monthly", "1")  # upgrades to every head
    gw = gateway_factory(CONFIG.replace("BASE_URL", upstream.base_url).replace("MODELS", ""), store_url=store_url)

    for path in ("/api/cost/report?by=workload", "/api/budgets/test-monthly"):
        status, body = api(gw.base_url, path)
        assert status == 200, body
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT tokens_in, cost_nano, usage_anomaly FROM requests ORDER BY id").all()
    note = "absurd figures capped by migration b0002"
    assert [tuple(r) for r in rows] == [(2**31 - 1, MAX_SPEND_NANO, note), (0, MAX_SPEND_NANO, note)]
