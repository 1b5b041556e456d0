"""The eval runner end to end: the simulator through a real gateway, results stored through the real API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import func, select

from rungway.evals.runs.gateway_client import GatewayClient, RetryPolicy
from rungway.evals.runs.model import RunStatus
from rungway.evals.runs.runner import EvalCase, EvalRunner, RunSettings
from rungway.evals.runs.sinks import ApiClient, HttpSink
from rungway.evals.stats import pass_rate
from rungway.store.schema import requests
from tests.api.http import call
from tests.conftest import SIMULATOR_CONFIG
from tests.evals.runs.support import ListSource, cases, ensure_dataset, run, run_json, start_for
from tests.servers import AppServer, Gateway


def _logged(gw: Gateway) -> int:
    gw.flush()
    with gw.state.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(requests.c.workload == "test")).scalar_one())


def test_a_run_stores_every_result_and_the_server_computes_the_aggregates(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = gateway_factory(store_url=store_url)
    secret = gw.create_key().secret
    outcome = run(gw, secret, ListSource(cases(20)), repeat=2)
    assert outcome.status is RunStatus.FINISHED
    status, body = run_json(gw, outcome.run_id, secret, limit=1000)
    assert status == 200, body
    assert body["status"] == "finished" and body["workload"] == "test" and body["repeat"] == 2
    assert len(body["results"]) == body["cases"] == 40
    assert body["passed"] == 20 and body["errored"] == 0
    expected = pass_rate(20, 40)
    assert body["pass_rate"] == pytest.approx(0.5)
    assert (body["pass_rate_low"], body["pass_rate_high"]) == pytest.approx(
        (expected.interval.low, expected.interval.high)
    )
    metrics = {m["name"]: m for m in body["metrics"]}
    assert metrics["length"]["pass_rate"] == 1.0 and metrics["length"]["count"] == 40
    assert metrics["mentions-never"]["pass_rate"] == 0.0 and metrics["mentions-never"]["count"] == 20
    assert body["cost_usd"] > 0 and body["duration_s"] >= 0
    first = body["results"][0]
    assert first["case_key"] == "case-000" and first["request_id"] and first["trace_id"] and first["output"]
    assert {s["metric"] for s in first["scores"]} == {"length", "mentions-never"}
    assert _logged(gw) == 40  # every call went through the gateway as the workload


def test_results_page_by_cursor_and_filter_failures(gateway: Gateway) -> None:
    secret = gateway.create_key().secret
    outcome = run(gateway, secret, ListSource(cases(9)))
    keys: list[str] = []
    after = None
    while True:
        query = {"limit": 4, **({"after": after} if after else {})}
        status, body = run_json(gateway, outcome.run_id, secret, **query)
        assert status == 200
        keys += [r["case_key"] for r in body["results"]]
        after = body["next_after"]
        if after is None:
            break
    assert keys == [f"case-{i:03d}" for i in range(9)]
    status, body = run_json(gateway, outcome.run_id, secret, failed="true")
    assert [r["case_key"] for r in body["results"]] == [f"case-{i:03d}" for i in range(0, 9, 2)]


def test_the_cache_answers_a_second_run_without_calling_the_gateway(gateway: Gateway, tmp_path: Path) -> None:
    secret = gateway.create_key().secret
    source = ListSource(cases(6))
    first = run(gateway, secret, source, cache_dir=tmp_path / "cache")
    calls = _logged(gateway)
    second = run(gateway, secret, source, cache_dir=tmp_path / "cache")
    assert _logged(gateway) == calls == 6
    _, a = run_json(gateway, first.run_id, secret)
    _, b = run_json(gateway, second.run_id, secret)
    assert b["cached"] == 6 and a["cached"] == 0
    assert [r["output"] for r in a["results"]] == [r["output"] for r in b["results"]]
    assert all(r["cached"] and r["cost_usd"] is None for r in b["results"])
    assert b["passed"] == a["passed"] == 3
    third = run(gateway, secret, source)  # no cache: asked again
    assert _logged(gateway) == 12 and third.tally.cached == 0
    twice = run(gateway, secret, source, repeat=2, cache_dir=tmp_path / "cache")  # each repeat is its own sample
    assert _logged(gateway) == 24 and twice.tally.cached == 0
    assert run(gateway, secret, source, repeat=2, cache_dir=tmp_path / "cache").tally.cached == 12


class FlakyGateway:
    """A loopback gateway: `case-transient` fails 503 twice then answers, `case-429` once, `case-bad` is a 400."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.chat)
        self.server = AppServer(app)

    async def chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        key = body["messages"][0]["content"]
        seen = self.calls[key] = self.calls.get(key, 0) + 1
        error = {"error": {"message": "nope", "type": "x"}}
        if key == "case-transient" and seen <= 2:
            return web.json_response(error, status=503)
        if key == "case-429" and seen == 1:
            return web.json_response(error, status=429, headers={"Retry-After": "0"})
        if key == "case-bad":
            return web.json_response(error, status=400)
        if key == "case-down":
            return web.json_response(error, status=502)
        answer = {"model": "m", "choices": [{"message": {"role": "assistant", "content": f"answer to {key}"}}]}
        return web.json_response(answer, headers={"x-request-id": f"req-{key}-{seen}"})


def test_only_transient_errors_are_retried_and_only_as_often_as_allowed(gateway: Gateway) -> None:
    flaky = FlakyGateway()
    try:
        secret = gateway.create_key().secret
        keys = ("case-transient", "case-429", "case-bad", "case-down", "case-fine")
        source = ListSource([EvalCase(k, messages=[{"role": "user", "content": k}]) for k in keys])
        outcome = run(gateway, secret, source, gateway_url=flaky.server.base_url,
                      retry=RetryPolicy(attempts=3, base_s=0.001, max_wait_s=0.01))  # fmt: skip
    finally:
        flaky.server.stop()
    assert flaky.calls == {"case-transient": 3, "case-429": 2, "case-bad": 1, "case-down": 3, "case-fine": 1}
    assert outcome.retries == 2 + 1 + 2
    _, body = run_json(gateway, outcome.run_id, secret)
    by_key = {r["case_key"]: r for r in body["results"]}
    assert by_key["case-transient"]["output"] == "answer to case-transient" and by_key["case-transient"]["passed"]
    assert "400" in by_key["case-bad"]["error"] and "502" in by_key["case-down"]["error"]
    assert body["errored"] == 2 and body["passed"] == 3


SLOW = SIMULATOR_CONFIG.replace("    type: simulator\n", "    type: simulator\n    latency_ms: 3000\n")


def test_cancelling_a_run_marks_it_cancelled_and_keeps_what_finished(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SLOW)
    ensure_dataset(gw)
    secret = gw.create_key().secret
    started: list[str] = []

    class Watching(HttpSink):
        async def start(self, run_start):  # type: ignore[no-untyped-def]
            run_id = await super().start(run_start)
            started.append(run_id)
            return run_id

    async def go() -> None:
        api = ApiClient(gw.base_url, secret)
        client = GatewayClient(gw.base_url, secret, concurrency=2)
        runner = EvalRunner(client, RunSettings(concurrency=2, model="gpt-4o-mini"))
        task = asyncio.create_task(runner.run(start_for(), ListSource(cases(10)), Watching(api)))
        while not started:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await client.close()
        await api.close()

    asyncio.run(go())
    status, body = run_json(gw, started[0], secret)
    assert status == 200 and body["status"] == "cancelled" and body["cases"] == 0 and body["finished_at"]
    status, _ = call(gw, "POST", f"/api/eval-runs/{started[0]}/results", secret,
                     {"results": [{"case_key": "late", "passed": True}]})  # fmt: skip
    assert status == 409


def test_each_assertion_of_each_case_is_also_a_score_record_of_the_run(gateway: Gateway) -> None:
    secret = gateway.create_key().secret
    outcome = run(gateway, secret, ListSource(cases(4)), repeat=2)
    status, body = call(gateway, "GET", f"/api/scores?run_id={outcome.run_id}&limit=1000", secret)
    assert status == 200, body
    scores = body["data"]
    assert len(scores) == 2 * (4 + 2)  # each repeat: a length check per case, a never-said check on every other
    assert {s["source"] for s in scores} == {"eval"} and {s["name"] for s in scores} == {"length", "mentions-never"}
    assert all(s["case_key"].startswith("case-") and s["trace_id"] and s["scorer"] for s in scores)
    never = [s for s in scores if s["name"] == "mentions-never"]
    assert {s["value"] for s in never} == {0.0}
    other = gateway.create_key("other").secret
    assert call(gateway, "GET", f"/api/scores?run_id={outcome.run_id}", other)[1]["data"] == []
