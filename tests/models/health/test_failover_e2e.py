"""Failover end to end, through the gateway's executor with the official openai SDK: a drill makes the
primary deployment fail, its circuit opens and calls fail over to the fallback without trying it, after
the cooldown one probe closes it, and the incident is recorded; two replicas on Redis share the open
circuit."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

import pytest

from rungway.gateway.context import CallContext
from rungway.gateway.routing import AttemptPolicy, RoutePlan
from rungway.gateway.state import GatewayState
from tests.api.http import ADMIN, call
from tests.servers import Gateway

CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
counters:
  backend: {counters}
  key_prefix: "{prefix}"{redis}
providers:
  sim-a:
    type: simulator
  sim-b:
    type: simulator
models:
  primary:
    provider: sim-a
    model: m-primary
  fallback:
    provider: sim-b
    model: m-fallback
workloads:
  test:
    team: qa
failover:
  breaker: {window: 30s, min_calls: 4, failure_rate: 0.5, cooldown: {cooldown}, probes: 1}
"""


class PrimaryThenFallback:
    """A route plan with two deployments for `primary` (what a `routing:` fallback rule answers)."""

    def plan(self, state: GatewayState, ctx: CallContext) -> RoutePlan | None:
        models = state.config.models
        return RoutePlan("primary", (models["primary"], models["fallback"]), AttemptPolicy(retries=0), "test")


def _gateway(
    factory: Callable[..., Gateway], redis_url: str | None = None, prefix: str = "rungway:", cooldown: str = "1s"
) -> Gateway:
    text = CONFIG.replace("{counters}", "redis" if redis_url else "memory").replace("{prefix}", prefix)
    text = text.replace("{cooldown}", cooldown)
    gw = factory(text.replace("{redis}", f"\n  redis_url: {redis_url}" if redis_url else ""))
    gw.state.route_planner = PrimaryThenFallback()
    return gw


def _health(gw: Gateway, deployment: str) -> dict[str, object]:
    status, body = call(gw, "GET", "/api/models/health", ADMIN)
    assert status == 200
    return next(r for r in body["deployments"] if r["deployment"] == deployment)


def _chat(gw: Gateway, secret: str, n: int) -> list[str]:
    """The `model` each answer names (the upstream model that served it)."""
    sdk = gw.sdk(secret)
    return [sdk.chat.completions.create(model="primary", messages=[{"role": "user", "content": "hi"}]).model
            for _ in range(n)]  # fmt: skip


def _until(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_breaker_opens_fails_over_probes_and_closes(gateway_factory: Callable[..., Gateway]) -> None:
    gw = _gateway(gateway_factory)
    secret = gw.create_key().secret
    assert set(_chat(gw, secret, 3)) == {"m-primary"}
    status, drill = call(gw, "POST", "/api/drills", ADMIN, {"deployment": "primary", "duration_s": 2.0})
    assert status == 201, drill
    assert set(_chat(gw, secret, 10)) == {"m-fallback"}  # every call served: failed over
    assert _health(gw, "primary")["state"] == "open"
    tried = _health(gw, "primary")["calls"]
    _chat(gw, secret, 5)
    assert _health(gw, "primary")["calls"] == tried  # an open circuit is skipped, not tried
    _until(lambda: call(gw, "GET", f"/api/drills/{drill['id']}", ADMIN)[1]["status"] == "finished")
    _until(lambda: _health(gw, "primary")["state"] == "half-open")
    assert _chat(gw, secret, 1) == ["m-primary"]  # the probe succeeds
    assert _health(gw, "primary")["state"] == "closed"
    gw.flush()

    def closed_incident() -> bool:
        incidents = call(gw, "GET", "/api/incidents", ADMIN)[1]["incidents"]
        return bool(incidents) and incidents[0]["closed_at"] is not None

    _until(closed_incident)
    (incident,) = call(gw, "GET", "/api/incidents", ADMIN)[1]["incidents"]
    assert incident["deployment"] == "primary" and incident["lost"] == 0
    assert incident["failed_over"] >= 5 and incident["success_rate"] == 1.0
    finished = call(gw, "GET", f"/api/drills/{drill['id']}", ADMIN)[1]
    assert finished["calls"] >= 15 and finished["success_rate"] == 1.0 and finished["failed_over"] >= 15
    assert finished["workloads"]["test"]["calls"] == finished["calls"]


def test_a_half_open_circuit_that_fails_its_probe_reopens(gateway_factory: Callable[..., Gateway]) -> None:
    gw = _gateway(gateway_factory)
    secret = gw.create_key().secret
    call(gw, "POST", "/api/drills", ADMIN, {"deployment": "primary", "duration_s": 30.0})
    assert set(_chat(gw, secret, 6)) == {"m-fallback"}
    _until(lambda: _health(gw, "primary")["state"] == "half-open")
    assert _chat(gw, secret, 1) == ["m-fallback"]  # the probe failed: served by the fallback
    assert _health(gw, "primary")["state"] == "open"


@pytest.mark.redis
def test_two_replicas_on_redis_share_an_open_circuit(gateway_factory: Callable[..., Gateway], redis_url: str) -> None:
    prefix = f"test:{secrets.token_hex(6)}:"
    one = _gateway(gateway_factory, redis_url, prefix, cooldown="60s")
    two = _gateway(gateway_factory, redis_url, prefix, cooldown="60s")
    status, _ = call(one, "POST", "/api/drills", ADMIN, {"deployment": "primary", "duration_s": 30.0})
    assert status == 201
    assert set(_chat(one, one.create_key().secret, 6)) == {"m-fallback"}
    assert _health(one, "primary")["state"] == "open"
    _until(lambda: _health(two, "primary")["state"] == "open", timeout_s=5.0)  # about a second
    secret = two.create_key().secret
    assert set(_chat(two, secret, 3)) == {"m-fallback"}
    assert _health(two, "primary")["calls"] == 0  # replica two never tried the failing deployment
    status, mine = call(two, "GET", "/api/models/health", secret)
    assert status == 200 and [r["deployment"] for r in mine["deployments"]] == ["fallback", "primary"]


def test_an_opened_incident_sends_one_alert(gateway_factory: Callable[..., Gateway]) -> None:
    from tests.alerts.receiver import Receiver

    receiver = Receiver()
    try:
        text = CONFIG.replace("{counters}", "memory").replace("{prefix}", "rungway:").replace("{redis}", "")
        text = text.replace("{cooldown}", "60s") + f"alerts:\n  webhook_url: {receiver.url}\n  backoff_ms: 10\n"
        gw = gateway_factory(text)
        gw.state.route_planner = PrimaryThenFallback()
        call(gw, "POST", "/api/drills", ADMIN, {"deployment": "primary", "duration_s": 30.0})
        assert set(_chat(gw, gw.create_key().secret, 12)) == {"m-fallback"}
        receiver.wait_for(1)
        (alert,) = receiver.delivered
        assert alert["event"] == "model.incident_opened" and alert["deployment"] == "primary"
        incidents = call(gw, "GET", "/api/incidents", ADMIN)[1]["incidents"]
        assert [i["id"] for i in incidents] == [alert["incident"]]
    finally:
        receiver.server.stop()
