"""Seeding SLO tests: a migrated store, request-log rows at chosen times and statuses, online scores."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable

from sqlalchemy import Engine, insert

from rungway.capability import migration_packages
from rungway.domain.workloads import Workload
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.schema import requests
from rungway.store.workloads import upsert_workload

_IDS = itertools.count()

CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  sim:
    type: simulator
models:
  gpt-4o-mini:
    provider: sim
    model: gpt-4o-mini-2024-07-18
workloads:
  test: {}
  other: {}
"""


def open_store(url: str, workloads: Iterable[str] = ("test", "other")) -> Engine:
    """A migrated store holding the workloads."""
    engine = create_store_engine(url)
    upgrade(engine, migration_packages())
    for name in workloads:
        upsert_workload(engine, Workload(name=name))
    return engine


def calls(
    engine: Engine,
    workload: str,
    ago_s: Iterable[float],
    status: int = 200,
    latency_ms: float = 100.0,
    ttft_ms: float | None = None,
    model: str = "gpt-4o-mini",
    route: str | None = None,
    now: float | None = None,
) -> None:
    """One request-log row per `ago_s` (seconds before `now`) with the given outcome."""
    at = time.time() if now is None else now
    rows = [
        {"id": f"req_slo{next(_IDS):012d}", "ts_start": at - a, "ts_end": at - a + latency_ms / 1000,
         "workload": workload, "key_id": f"key_{workload}", "recorded_at": time.time(),
         "endpoint": "chat.completions", "model_requested": model, "model_resolved": model,
         "status": status, "latency_ms": latency_ms, "ttft_ms": ttft_ms, "route_rule": route, "tags": "{}",
         "stream": ttft_ms is not None, "tokens_in": 1, "tokens_out": 1, "tokens_cached": 0, "cost_nano": 0,
         "priced": False}
        for a in ago_s
    ]  # fmt: skip
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(requests), rows)


def spread(n: int, start_s: float, end_s: float) -> list[float]:
    """`n` ages spread evenly in (start_s, end_s] seconds ago."""
    step = (end_s - start_s) / n
    return [start_s + step * (i + 0.5) for i in range(n)]
