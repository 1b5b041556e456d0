"""Sunset alerts: the nearest threshold reached is sent for models the request log shows in use, once per
(model, threshold) across two replicas sharing Redis; unused models and past sunsets stay quiet."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from rungway.alerts.public import alerts_of
from rungway.capability import migration_packages
from rungway.domain.ids import new_id
from rungway.domain.records import RequestRecord
from rungway.models.catalogue.entry import CatalogueEntry
from rungway.models.catalogue.install import SUNSETS
from rungway.models.catalogue.sunset import ModelUse, due_alerts
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.requests import insert_requests
from tests.alerts.receiver import Receiver
from tests.servers import Gateway

TODAY = datetime.now(UTC).date()


def _use(sunset: date | None) -> ModelUse:
    return ModelUse(CatalogueEntry("m-1", "openai", "m", sunset_on=sunset), 3, ("w",))


def test_the_nearest_threshold_reached_is_due_and_nothing_else() -> None:
    today = date(2026, 11, 30)
    thresholds = (90, 60, 30)
    due = due_alerts(
        [_use(today + timedelta(days=25)), _use(today + timedelta(days=61)), _use(today + timedelta(days=91))],
        today,
        thresholds,
    )
    assert [(d.threshold, d.days_left) for d in due] == [(30, 25), (90, 61)]
    assert due_alerts([_use(today - timedelta(days=1)), _use(None)], today, thresholds) == []
    assert [d.threshold for d in due_alerts([_use(today)], today, thresholds)] == [30]


CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {{store_url}}
counters:
  backend: redis
  redis_url: {redis_url}
  key_prefix: '{prefix}'
providers:
  sim:
    type: simulator
models:
  old-model:
    provider: sim
    model: old-model-2025-01-01
  quiet-model:
    provider: sim
    model: quiet-model-2025-01-01
workloads:
  test:
    team: qa
alerts:
  webhook_url: {hook}
  backoff_ms: 10
catalogue:
  sunset_alerts: [90, 60, 30]
  entries:
    old-model-2025-01-01: {{provider: simulator, status: deprecated, deprecated: {deprecated}, sunset: {sunset},
      successor: new-model-2026-01-01, owner: platform-team}}
    new-model-2026-01-01: {{provider: simulator}}
    quiet-model-2025-01-01: {{provider: simulator, sunset: {sunset}}}
"""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    try:
        yield made
    finally:
        made.server.stop()


@pytest.mark.redis
def test_two_replicas_on_redis_alert_once_for_a_model_in_use(
    gateway_factory: Callable[..., Gateway], tmp_path: Path, receiver: Receiver, redis_url: str
) -> None:
    url = f"sqlite:///{tmp_path}/sunset.db"
    engine = create_store_engine(url)
    upgrade(engine, migration_packages())
    now = time.time()
    insert_requests(engine, [
        RequestRecord(id=new_id("req_"), ts_start=now - 3600, ts_end=now - 3599, workload="test", key_id="key_app",
                      user="u1", team=None, model_requested="old-model", model_resolved="old-model-2025-01-01",
                      status=200, latency_ms=20.0)
        for _ in range(3)
    ])  # fmt: skip
    text = CONFIG.format(
        redis_url=redis_url,
        prefix=f"test:{secrets.token_hex(6)}:",
        hook=receiver.url,
        deprecated=(TODAY - timedelta(days=1)).isoformat(),
        sunset=(TODAY + timedelta(days=20)).isoformat(),
    )
    one = gateway_factory(text, store_url=url)  # each replica checks at start
    two = gateway_factory(text, store_url=url)
    receiver.wait_for(1)
    for gw in (one, two):  # and again (the daily check): the claim holds across replicas
        due = gw.call(gw.state.slots[SUNSETS].check)
        assert [d.use.entry.name for d in due] == ["old-model-2025-01-01"]
    senders = [alerts_of(gw.state.slots) for gw in (one, two)]
    for gw, sender in zip((one, two), senders, strict=True):
        assert sender is not None
        gw.call(sender.close)  # waits for any delivery in flight
    assert sum(s.sent for s in senders if s is not None) == 1
    (alert,) = receiver.delivered
    assert alert["type"] == "model.sunset_approaching" and alert["model"] == "old-model-2025-01-01"
    assert alert["threshold_days"] == 30 and alert["days_left"] == 20
    assert alert["successor"] == "new-model-2026-01-01" and alert["owner"] == "platform-team"
    assert alert["workloads"] == ["test"] and alert["calls_last_30_days"] == 3
