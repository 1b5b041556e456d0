"""Burn-rate alerts once per episode: a tier fires once when its condition starts and resolves once when it
clears, with snapshots stored once per period; across two `rungway serve` processes sharing PostgreSQL and
Redis, the webhook receives one `firing` and one `resolved` per tier."""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from rungway.slos import store
from rungway.slos.config import SloConfig
from rungway.slos.model import check_slo
from rungway.slos.monitor import SloMonitor
from tests.budgets.test_alerts import Receiver
from tests.budgets.test_replicas import Replica
from tests.slos.support import CONFIG, calls, open_store, spread

ALL_TIERS = ["page-1h", "page-6h", "ticket-1d", "ticket-3d"]


def _failing(engine: Engine, now: float | None = None) -> None:
    """Half of the last few minutes' calls failed: every tier's windows burn at 50x (objective 99%)."""
    calls(engine, "test", spread(50, 10, 200), now=now)
    calls(engine, "test", spread(50, 10, 200), status=502, now=now)


def _recovered(engine: Engine, now: float | None = None) -> None:
    """Enough good calls since that every window's bad share is under 1% of its budget's factor."""
    calls(engine, "test", spread(20_000, 1, 200), now=now)


def test_each_tier_fires_once_per_episode_and_resolves_once(store_url: str) -> None:
    engine = open_store(store_url)
    slo = check_slo("test", "avail", {"kind": "availability", "objective": 0.99})
    store.put_definition(engine, slo, "config", None, time.time())
    config = SloConfig(tick_s=1, snapshot_every_s=60, slos={("test", "avail"): slo})
    one, two = SloMonitor(engine, config), SloMonitor(engine, config)  # two replicas on one store
    now = math.floor(time.time() / 60) * 60 + 10  # every evaluation below falls in one snapshot period
    _failing(engine, now)
    fired = one.evaluate_all(now) + two.evaluate_all(now + 1)
    assert sorted((t.tier.name, t.state, t.episode) for t in fired) == [(n, "firing", 1) for n in ALL_TIERS]
    assert one.evaluate_all(now + 2) == [] and two.evaluate_all(now + 3) == []  # still firing: nothing new
    _recovered(engine, now + 3)
    resolved = two.evaluate_all(now + 4) + one.evaluate_all(now + 5)
    assert sorted((t.tier.name, t.state, t.episode) for t in resolved) == [(n, "resolved", 1) for n in ALL_TIERS]
    event = resolved[0].event()
    assert event.kind == "slo.burn_rate" and event.payload["state"] == "resolved"
    assert event.key.endswith(":1:resolved") and event.payload["slo"] == "avail"
    assert [a.state for a in store.read_alerts(engine, "test", "avail", 100)].count("firing") == 4
    with engine.connect() as conn:  # the four evaluations inside one snapshot period stored one snapshot
        assert conn.execute(select(func.count()).select_from(store.slo_snapshots)).scalar_one() == 1
    calls(engine, "test", spread(10_000, 1, 100), status=502, now=now + 6)  # a second episode, numbered 2
    again = one.evaluate_all(now + 7)
    assert {(t.state, t.episode) for t in again if t.tier.name == "page-1h"} == {("firing", 2)}


@pytest.fixture
def replicas() -> Iterator[list[Replica]]:
    started: list[Replica] = []
    try:
        yield started
    finally:
        for replica in started:
            replica.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    try:
        yield made
    finally:
        made.server.stop()


def _deliveries(hook: Receiver) -> list[tuple[str, str]]:
    return sorted((d["tier"], d["state"]) for d in hook.delivered if d.get("type") == "slo.burn_rate")


def _wait(check: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.mark.redis
@pytest.mark.postgres
def test_two_server_processes_send_one_firing_and_one_resolved_per_tier(
    postgres_url: str, redis_url: str, tmp_path: Path, replicas: list[Replica], receiver: Receiver
) -> None:
    engine = open_store(postgres_url)
    text = (
        CONFIG.replace("{store_url}", postgres_url)
        + f"""
counters:
  backend: redis
  redis_url: {redis_url}
  key_prefix: 'test:{secrets.token_hex(6)}:'
alerts:
  webhook_url: {receiver.url}
  backoff_ms: 20
slos:
  tick_s: 0.2
  workloads:
    test:
      avail: {{kind: availability, objective: 99}}
"""
    )
    config = tmp_path / "rungway.yaml"
    config.write_text(text)
    _failing(engine)
    for i in range(2):
        replicas.append(Replica(config, tmp_path / f"replica-{i}.log"))
    _wait(lambda: len(_deliveries(receiver)) >= 4, f"firing alerts: {receiver.delivered}")
    _recovered(engine)
    _wait(lambda: len(_deliveries(receiver)) >= 8, f"resolved alerts: {receiver.delivered}")
    time.sleep(1.5)  # several more ticks of both replicas: nothing more is sent
    assert _deliveries(receiver) == sorted([(t, "firing") for t in ALL_TIERS] + [(t, "resolved") for t in ALL_TIERS])
    first: dict[str, Any] = next(d for d in receiver.delivered if d.get("tier") == "page-1h")
    assert first["type"] == "slo.burn_rate" and first["workload"] == "test" and first["burn_rate_long"] >= 14.4
