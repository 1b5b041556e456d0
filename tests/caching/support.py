"""A gateway on the simulator with cached workloads, and reading a call's cache header and log row."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway

CACHE_CONFIG = (
    SIMULATOR_CONFIG
    + """
  other:
    team: qa
  plain:
    team: qa
  exact:
    team: qa
cache:
  refresh_s: {refresh}
  workloads:
    test:
      ttl_s: {ttl}
      semantic:
        embedding_model: text-embedding-3-small
        threshold: 0.9
    exact:
      ttl_s: 600
    other:
      ttl_s: 600
      semantic:
        embedding_model: text-embedding-3-small
"""
)


def cache_gateway(
    gateway_factory: Callable[..., Gateway],
    store_url: str | None = None,
    *,
    ttl: float = 600,
    refresh: float = 3600,
    extra: str = "",
) -> Gateway:
    text = CACHE_CONFIG.replace("{ttl}", f"{ttl:g}").replace("{refresh}", f"{refresh:g}") + extra
    return gateway_factory(text, store_url=store_url)


CHECKED_CONFIG = (
    SIMULATOR_CONFIG
    + """
cache:
  refresh_s: 3600
  workloads:
    test:
      semantic:
        embedding_model: text-embedding-3-small
        threshold: 0.9
        check:
          sample: 1.0
          daily_cost_usd: {cap}
          assert: {assert_spec}
          min_checks: 2
          min_precision: 0.9
          on_low_precision: {action}
"""
)
