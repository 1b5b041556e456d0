"""A gateway with online scorers on the simulator, and waiting for the background scoring to finish."""

from __future__ import annotations

import time
from collections.abc import Callable

from rungway.online_evals.api import ONLINE
from rungway.online_evals.runtime import OnlineRuntime
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway

ONLINE_CONFIG = (
    SIMULATOR_CONFIG
    + """
  other:
    team: qa
online_evals:
  refresh_s: 3600
  judge_model: gpt-4o-mini
  workloads:
    test:
      daily_cost_cap_usd: {cap}
      scorers:
        short:
          assert: {{type: length, value: {{max: 100000}}}}
          sample: {sample}
          filter: {{model: gpt-4o}}
"""
)


def online_gateway(
    gateway_factory: Callable[..., Gateway],
    store_url: str | None = None,
    *,
    sample: float = 1.0,
    cap: float = 1.0,
    extra: str = "",
) -> Gateway:
    text = ONLINE_CONFIG.replace("{cap}", f"{cap:.9f}").replace("{sample}", f"{sample:g}")
    text = text.replace("{{", "{").replace("}}", "}") + extra
    return gateway_factory(text, store_url=store_url)


def runtime_of(gateway: Gateway) -> OnlineRuntime:
    return gateway.state.slots[ONLINE]


def settle(gateway: Gateway) -> None:
    """Wait until every call is recorded, every sampled call scored and every score stored."""
    gateway.flush()
    runtime = runtime_of(gateway)
    deadline = time.monotonic() + 30
    while not runtime.idle and time.monotonic() < deadline:
        time.sleep(0.01)
    assert runtime.idle, "online scoring still busy after 30 s"
    gateway.call(runtime.book.refresh)
    gateway.flush()
