"""Threshold alerts reach a loopback webhook once per threshold per period, across replicas, with retries.

That no further alert was sent is read from the store once every call is accounted (`Gateway.flush`):
an alert is claimed and its `threshold` event offered to the writer in the call's settle step (or in
the budget book's seed, before the server accepts calls), and only a claimed alert is ever sent."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
from aiohttp import web

from tests.budgets.support import MESSAGES, api, config_text, open_store, prespend, workload_budget
from tests.servers import AppServer, Gateway


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 500 to the first `fail_first` POSTs."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.attempts: list[dict[str, Any]] = []
        self.delivered: list[dict[str, Any]] = []
        app = web.Application()
        app.router.add_post("/hook", self.hook)
        self.server = AppServer(app)
        self.url = self.server.base_url + "/hook"

    async def hook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.attempts.append(body)
        if len(self.attempts) <= self.fail_first:
            return web.Response(status=500)
        self.delivered.append(body)
        return web.json_response({"ok": True})

    def wait_for(self, count: int, timeout_s: float = 20) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.delivered) < count:
            assert time.monotonic() < deadline, f"{len(self.delivered)} of {count} alerts delivered"
            time.sleep(0.01)


def recorded(gw: Gateway, kind: str, at_least: int = 0, timeout_s: float = 20) -> list[int]:
    """The thresholds of the budget's `kind` events in the store once every call is accounted (and, for
    events that follow a delivery, once `at_least` of them are in)."""
    deadline = time.monotonic() + timeout_s
    while True:
        gw.flush()
        status, events = api(gw.base_url, f"/api/budget-events?budget=test-alerts&kind={kind}")
        assert status == 200
        found = sorted(e["threshold"] for e in events["data"])
        if len(found) >= at_least:
            return found
        assert time.monotonic() < deadline, f"{len(found)} of {at_least} {kind} events recorded"


@pytest.fixture
def receiver() -> Any:
    created: list[Receiver] = []

    def make(fail_first: int = 0) -> Receiver:
        created.append(Receiver(fail_first))
        return created[-1]

    try:
        yield make
    finally:
        for r in created:
            r.server.stop()


def _call(gw: Gateway, secret: str, n: int) -> None:
    client = openai.OpenAI(base_url=gw.openai_base, api_key=secret, max_retries=0)
    for _ in range(n):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=20)


def test_each_threshold_alerts_once_per_period_and_is_retried_after_a_500(
    gateway_factory: Callable[..., Gateway], tmp_path: Path, receiver: Callable[..., Receiver]
) -> None:
    hook = receiver(fail_first=1)
    url = f"sqlite:///{tmp_path}/alerts.db"
    engine = open_store(url)
    prespend(engine, 450_000)  # 45% of $0.001
    workload_budget(engine, "test-alerts", "0.001", hard=False)
    gw = gateway_factory(config_text(latency_ms=0, webhook_url=hook.url), store_url=url)
    key = gw.create_key("test")

    _call(gw, key.secret, 10)  # each call costs about $0.0000135: past 50%, not yet 80%
    hook.wait_for(1)
    assert [a["threshold_percent"] for a in hook.attempts] == [50, 50]  # the 500 was retried
    _call(gw, key.secret, 40)  # past 80% and 100% (the budget is soft, so calls go on)
    hook.wait_for(3)
    _call(gw, key.secret, 5)
    assert recorded(gw, "threshold") == [50, 80, 100]  # the five calls past 100% claimed no alert
    assert recorded(gw, "alert_sent", at_least=3) == [50, 80, 100]
    delivered = [a["threshold_percent"] for a in hook.delivered]
    assert delivered == [50, 80, 100]
    first = hook.delivered[0]
    assert first["budget"]["name"] == "test-alerts" and first["type"] == "budget.threshold_crossed"
    assert first["spent_nano"] >= 500_000 and first["resets_at"].endswith("T00:00:00Z")


@pytest.mark.redis
def test_two_replicas_sharing_redis_alert_once(
    gateway_factory: Callable[..., Gateway], tmp_path: Path, receiver: Callable[..., Receiver], redis_url: str
) -> None:
    hook = receiver()
    url = f"sqlite:///{tmp_path}/alerts.db"
    engine = open_store(url)
    prespend(engine, 450_000)
    workload_budget(engine, "test-alerts", "0.001", hard=False, thresholds=(50,))
    text = config_text("redis", redis_url, latency_ms=0, webhook_url=hook.url)
    one = gateway_factory(text, store_url=url)
    two = gateway_factory(text, store_url=url)
    key = one.create_key("test")
    two.state.directory.put_key(key.key)
    for _ in range(6):
        _call(one, key.secret, 1)
        _call(two, key.secret, 1)
    hook.wait_for(1)
    two.flush()
    assert recorded(one, "threshold") == [50]  # one store: the other replica claimed nothing
    assert [a["threshold_percent"] for a in hook.delivered] == [50]


def test_restart_does_not_repeat_an_alert_already_sent_this_period(
    gateway_factory: Callable[..., Gateway], tmp_path: Path, receiver: Callable[..., Receiver]
) -> None:
    hook = receiver()
    url = f"sqlite:///{tmp_path}/alerts.db"
    engine = open_store(url)
    prespend(engine, 600_000)  # already past 50% when the budget appears: alerted by the seed
    workload_budget(engine, "test-alerts", "0.001", hard=False)
    first = gateway_factory(config_text(latency_ms=0, webhook_url=hook.url), store_url=url)
    hook.wait_for(1)
    first.flush()
    second = gateway_factory(config_text(latency_ms=0, webhook_url=hook.url), store_url=url)  # fresh counters
    assert recorded(second, "threshold") == [50]  # its seed (done before it served) saw the alert was sent
    assert [a["threshold_percent"] for a in hook.delivered] == [50]
