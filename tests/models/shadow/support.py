"""A gateway with two simulator upstreams for the shadow tests: A fast, B slower; B's `mirror` answers exactly as A."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from typing import Any

from rungway.models.shadow.api import SHADOW
from rungway.models.shadow.runtime import ShadowRuntime
from tests.api.http import ADMIN, call
from tests.servers import Gateway

SHADOW_CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  fast:
    type: simulator
  slow:
    type: simulator
    latency_ms: {b_latency}
  flaky:
    type: simulator
    error_rate: 0.5
    seed: 7
models:
  gpt-4o-mini:
    provider: fast
    model: gpt-4o-mini-2024-07-18
  mirror:
    provider: slow
    model: gpt-4o-mini-2024-07-18
  gpt-4o:
    provider: slow
    model: gpt-4o-2024-08-06
  flaky:
    provider: flaky
    model: gpt-4o-mini-2024-07-18
workloads:
  test:
    team: qa
  other:
    team: qa
{extra}
"""


def shadow_config(b_latency: int = 50, extra: str = "") -> str:
    return SHADOW_CONFIG.replace("{b_latency}", str(b_latency)).replace("{extra}", extra)


def start_gateway(factory: Callable[..., Gateway], store_url: str | None = None, **kwargs: Any) -> Gateway:
    return factory(shadow_config(**kwargs), store_url=store_url)


def runtime(gw: Gateway) -> ShadowRuntime:
    return gw.state.slots[SHADOW]


def settle(gw: Gateway) -> None:
    """Wait for the calls, then the shadow calls, then every writer."""
    gw.flush()
    deadline = time.monotonic() + 30
    while runtime(gw).in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not runtime(gw).in_flight, "shadow calls still in flight after 30 s"
    gw.flush()


def start_run(gw: Gateway, key: str = ADMIN, **fields: Any) -> dict[str, Any]:
    body = {"action": "start", "workload": "test", "from": "gpt-4o-mini", "to": "mirror", "sample": 1.0, **fields}
    status, run = call(gw, "POST", "/api/models/shadow", key, body)
    assert status == 200, run
    return dict(run)


def summary(gw: Gateway, run_id: str, key: str = ADMIN) -> dict[str, Any]:
    status, body = call(gw, "GET", f"/api/models/shadow/{run_id}", key)
    assert status == 200, body
    return dict(body)


def metrics(gw: Gateway) -> str:
    with urllib.request.urlopen(gw.base_url + "/metrics", timeout=10) as response:
        return str(response.read().decode())
