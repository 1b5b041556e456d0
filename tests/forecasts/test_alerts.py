"""Budget-exhaustion alerts: an episode opens once when the forecast runs out inside the period and closes when
it no longer does; two replicas sharing a store and Redis send one webhook per episode."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from rungway.budgets.service import BudgetRequest, set_budget
from rungway.budgets.store import delete_budget
from rungway.forecasts.alerts import KIND, alert_event, evaluate_episodes
from rungway.forecasts.service import budget_outlooks
from rungway.forecasts.store import open_episodes, read_episodes
from tests.budgets.test_alerts import Receiver
from tests.forecasts.support import open_store, seed_spend
from tests.servers import Gateway

DAY = 86_400.0
CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
counters:
  backend: redis
  redis_url: REDIS
  key_prefix: 'PREFIX'
alerts:
  webhook_url: HOOK
  backoff_ms: 20
forecasts:
  refresh_s: 0.2
providers:
  sim:
    type: simulator
models:
  gpt-4o-mini:
    provider: sim
    model: gpt-4o-mini-2024-07-18
workloads:
  test:
    team: qa
"""


@pytest.fixture
def hook() -> Iterator[Receiver]:
    receiver = Receiver()
    try:
        yield receiver
    finally:
        receiver.server.stop()


def ours(hook: Receiver) -> list[dict[str, Any]]:
    """The exhaustion alerts delivered (the budget's own threshold alerts go to the same webhook)."""
    return [a for a in hook.delivered if a["type"] == KIND]


def fixed_budget(engine: Engine, name: str, now: float, amount_usd: str, webhook_url: str | None = None) -> None:
    """A budget over [10 days ago, 30 days on): its period lasts well past the forecast's exhaustion."""
    set_budget(engine, BudgetRequest(name=name, scope="workload", amount_usd=amount_usd, period="fixed",
                                     workload="test", starts_at=now - 10 * DAY, ends_at=now + 30 * DAY,
                                     webhook_url=webhook_url))  # fmt: skip


def test_an_episode_opens_once_and_closes_when_the_forecast_recovers(store_url: str) -> None:
    engine = open_store(store_url)
    now = time.time()
    seed_spend(engine, "test", 35, now=now)  # ~$8.3 a day over 10 days: about $85 spent
    fixed_budget(engine, "tight", now, "120")
    fixed_budget(engine, "roomy", now, "5000")
    opened = evaluate_episodes(engine, budget_outlooks(engine, None, True, now), now)
    assert [o.episode.budget_name for o in opened] == ["tight"] and opened[0].webhook_url is None
    assert "tight" in opened[0].episode.message and "before its period ends" in opened[0].episode.message
    assert evaluate_episodes(engine, budget_outlooks(engine, None, True, now + 60), now + 60) == []  # still open
    event = alert_event(opened[0].episode)
    assert event.kind == KIND and event.key == f"forecasts:{opened[0].episode.id}"
    assert event.payload["budget"] == "tight"
    delete_budget(engine, "tight", now + 120)
    evaluate_episodes(engine, budget_outlooks(engine, None, True, now + 120), now + 120)
    assert open_episodes(engine) == {}
    assert [e.closed_at for e in read_episodes(engine, None)] == [now + 120]


def test_two_replicas_alert_once_per_episode(
    gateway_factory: Callable[..., Gateway], tmp_path: Path, hook: Receiver, redis_url: str
) -> None:
    url = f"sqlite:///{tmp_path}/forecasts.db"
    engine = open_store(url)
    now = time.time()
    seed_spend(engine, "test", 35, now=now)
    fixed_budget(engine, "tight", now, "120")
    text = CONFIG.replace("REDIS", redis_url).replace("HOOK", hook.url)
    text = text.replace("PREFIX", f"test:{secrets.token_hex(6)}:")
    gateway_factory(text, store_url=url)
    gateway_factory(text, store_url=url)
    deadline = time.monotonic() + 20
    while not ours(hook):
        assert time.monotonic() < deadline, "no exhaustion alert delivered"
        time.sleep(0.05)
    time.sleep(1.0)  # five more rounds of each replica's loop
    sent = ours(hook)
    assert len(sent) == 1 and sent[0]["budget"] == "tight" and sent[0]["workload"] == "test"
    assert len(read_episodes(engine, None)) == 1


def test_a_budgets_own_webhook_gets_its_exhaustion_alert(
    gateway_factory: Callable[..., Gateway], tmp_path: Path, hook: Receiver, redis_url: str
) -> None:
    own = Receiver()
    try:
        url = f"sqlite:///{tmp_path}/forecasts.db"
        engine = open_store(url)
        now = time.time()
        seed_spend(engine, "test", 35, now=now)
        fixed_budget(engine, "tight", now, "120", webhook_url=own.url)
        text = CONFIG.replace("REDIS", redis_url).replace("HOOK", hook.url)
        gateway_factory(text.replace("PREFIX", f"test:{secrets.token_hex(6)}:"), store_url=url)
        deadline = time.monotonic() + 20
        while not ours(own):
            assert time.monotonic() < deadline, "no exhaustion alert delivered to the budget's webhook"
            time.sleep(0.05)
        assert ours(hook) == []
    finally:
        own.server.stop()
