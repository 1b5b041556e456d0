"""Scheduled runs on the server: a schedule made through the API runs when due, as the workload, and is kept
in the history; the configured schedules are listed and guarded from the API; a run where every attack failed
is not stored."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rungway.redteam.schedule import INTERNAL_KEY_NAME, SCHEDULER
from rungway.store.keys import list_keys
from tests.alerts.receiver import Receiver
from tests.api.http import call
from tests.redteam.support import CONFIG, GUARD, release
from tests.servers import Gateway

CONFIGURED = (
    CONFIG
    + """
redteam:
  server_url: http://127.0.0.1:9
  workloads:
    other: {every: 7d, categories: [jailbreak], model: gpt-4o-mini}
"""
)


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(CONFIG, store_url=store_url)


def test_a_schedule_runs_when_due_as_the_workload(gw: Gateway) -> None:
    key = gw.create_key("bot").secret
    release(gw, "You are Acme's support assistant.")
    body = {"every": "7d", "categories": ["system-prompt-extraction"], "prompt": "support@production"}
    status, made = call(gw, "POST", "/api/redteam/schedules", key, body)
    assert status == 201 and made["every_s"] == 7 * 86400 and made["source"] == "api"
    scheduler = gw.state.slots[SCHEDULER]
    assert gw.call(scheduler.tick) == 1
    assert gw.call(scheduler.tick) == 0  # not due again for 7 days
    runs = call(gw, "GET", "/api/redteam/runs", key)[1]["data"]
    assert len(runs) == 1 and runs[0]["trigger"] == "schedule" and runs[0]["created_by"] == INTERNAL_KEY_NAME
    assert runs[0]["rates"]["system-prompt-extraction"]["succeeded"] > 0
    listed = call(gw, "GET", "/api/redteam/schedules", key)[1]["data"]
    assert [(s["workload"], s["last_run_at"]) for s in listed] == [("bot", runs[0]["started_at"])]
    internal = [k for k in list_keys(gw.state.engine, "bot") if k.name == INTERNAL_KEY_NAME]
    assert len(internal) == 1 and internal[0].revoked_at is None
    gw.call(scheduler.revoke_keys)
    assert all(k.revoked_at is not None for k in list_keys(gw.state.engine, "bot") if k.name == INTERNAL_KEY_NAME)
    assert call(gw, "POST", "/api/redteam/schedules/delete", key, {})[1] == {"deleted": True}
    assert call(gw, "GET", "/api/redteam/schedules", key)[1]["data"] == []


def test_a_scheduled_run_that_regresses_raises_alerts(gw: Gateway) -> None:
    key = gw.create_key("bot").secret
    release(gw, f"You are Acme's support assistant. {GUARD}")
    body = {"every": "1d", "categories": ["system-prompt-extraction", "jailbreak"], "prompt": "support@production"}
    assert call(gw, "POST", "/api/redteam/schedules", key, body)[0] == 201
    scheduler = gw.state.slots[SCHEDULER]
    assert gw.call(scheduler.tick) == 1
    release(gw, "You are Acme's support assistant.")  # the guard is lost
    (schedule,) = scheduler.due(float("inf"))
    second = gw.call(lambda: scheduler.run(schedule))
    alerts = call(gw, "GET", "/api/redteam/alerts", key)[1]["data"]
    assert {(a["kind"], a["run_id"]) for a in alerts} == {("rate_rose", second), ("new_category", second)}
    assert "system-prompt-extraction" in next(a["message"] for a in alerts if a["kind"] == "new_category")
    diff = call(gw, "GET", f"/api/redteam/runs/{second}/diff", key)[1]
    assert "sys-001" in diff["new_failures"] and not diff["fixed"]


def test_configured_schedules_are_listed_and_kept_from_the_api(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(CONFIGURED)
    key = gw.create_key("other").secret
    listed = call(gw, "GET", "/api/redteam/schedules", key)[1]["data"]
    assert [(s["workload"], s["source"], s["categories"]) for s in listed] == [("other", "config", ["jailbreak"])]
    assert call(gw, "POST", "/api/redteam/schedules", key, {"every": "1d", "model": "gpt-4o-mini"})[0] == 409
    scheduler = gw.state.slots[SCHEDULER]
    assert gw.call(scheduler.tick) == 0  # the gateway is unreachable at that address: every attack failed
    assert call(gw, "GET", "/api/redteam/runs", key)[1]["data"] == []


def test_schedule_mistakes_are_400s(gw: Gateway) -> None:
    key = gw.create_key("bot").secret
    for body in ({"every": "1m", "model": "m"}, {"every": "7d"}, {"every": "7d", "model": "m", "categories": ["x"]}):
        assert call(gw, "POST", "/api/redteam/schedules", key, body)[0] == 400, body


def test_a_regression_reaches_the_on_call_webhook_once(gateway_factory: Callable[..., Gateway], store_url: str) -> None:
    receiver = Receiver()
    try:
        gw = gateway_factory(CONFIG + f"alerts:\n  webhook_url: {receiver.url}\n", store_url=store_url)
        key = gw.create_key("bot").secret
        release(gw, f"You are Acme's support assistant. {GUARD}")
        body = {"every": "1d", "categories": ["system-prompt-extraction"], "prompt": "support@production"}
        assert call(gw, "POST", "/api/redteam/schedules", key, body)[0] == 201
        scheduler = gw.state.slots[SCHEDULER]
        assert gw.call(scheduler.tick) == 1
        assert receiver.delivered == []  # the first run has nothing to compare with
        release(gw, "You are Acme's support assistant.")  # the guard is lost
        (schedule,) = scheduler.due(float("inf"))
        second = gw.call(lambda: scheduler.run(schedule))
        receiver.wait_for(2)
        kinds = sorted(event["type"] for event in receiver.delivered)
        assert kinds == ["redteam.new_category", "redteam.rate_rose"]
        assert {event["run_id"] for event in receiver.delivered} == {second}
        assert all(event["workload"] == "bot" for event in receiver.delivered)
    finally:
        receiver.server.stop()
