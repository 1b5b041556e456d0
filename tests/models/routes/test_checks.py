"""`multi_model_routing` (models/routes/checks.py) on seeded request logs, SQLite and PostgreSQL: met when calls
went through a rule or over several deployments of a model, partial when routing is configured but unused,
unmet when nothing routes, not assessable without calls."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import inspect, text

from rungway.domain.ids import new_id
from rungway.domain.records import RequestRecord
from rungway.store.requests import insert_requests
from tests.assessment.helpers import assess
from tests.servers import Gateway

CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  sim:
    type: simulator
  sim-eu:
    type: simulator
models:
  gpt-4o-mini:
    provider: sim
    model: gpt-4o-mini-2024-07-18
  gpt-4o:
    provider: sim
    model: gpt-4o-2024-08-06
deployments:
  gpt-4o-mini-eu: {serves: gpt-4o-mini, provider: sim-eu}
routing:
  workloads:
    ruled:
      - {name: long, when: {prompt_tokens_over: 100}, targets: [gpt-4o]}
workloads:
  ruled: {}
  spread: {}
  unused: {}
  plain: {}
  quiet: {}
"""


def _routing_columns(gw: Gateway) -> None:
    """The attempts slice's f0069 adds these to the request log; add them where it has not landed yet."""
    columns = {c["name"] for c in inspect(gw.state.engine).get_columns("requests")}
    with gw.state.engine.begin() as conn:
        for name in ("deployment", "route_rule"):
            if name not in columns:
                conn.execute(text(f"ALTER TABLE requests ADD COLUMN {name} VARCHAR(200)"))


def _calls(gw: Gateway, workload: str, model: str, deployment: str, rule: str | None, n: int,
           age_s: float = 60) -> None:  # fmt: skip
    now = time.time()
    ids = [new_id("req_") for _ in range(n)]
    insert_requests(gw.state.engine, [
        RequestRecord(id=i, ts_start=now - age_s, ts_end=now - age_s + 1, workload=workload, key_id="key_app",
                      user="u1", team=None, model_requested=model, model_resolved=model, status=200, latency_ms=20.0)
        for i in ids
    ])  # fmt: skip
    with gw.state.engine.begin() as conn:
        for i in ids:
            conn.execute(text("UPDATE requests SET deployment = :d, route_rule = :r WHERE id = :i"),
                         {"d": deployment, "r": rule, "i": i})  # fmt: skip


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    gateway = gateway_factory(CONFIG, store_url=store_url)
    _routing_columns(gateway)
    return gateway


def _item(gw: Gateway) -> dict[str, dict[str, Any]]:
    return {w: next(i for i in r["items"] if i["item"] == "multi_model_routing") for w, r in assess(gw).items()}


def test_met_partial_unmet_and_not_assessable(gw: Gateway) -> None:
    _calls(gw, "ruled", "gpt-4o-mini", "gpt-4o", "long", 3)
    _calls(gw, "ruled", "gpt-4o-mini", "gpt-4o-mini", None, 7)
    _calls(gw, "spread", "gpt-4o-mini", "gpt-4o-mini", None, 5)
    _calls(gw, "spread", "gpt-4o-mini", "gpt-4o-mini-eu", None, 5)
    _calls(gw, "unused", "gpt-4o-mini", "gpt-4o-mini", None, 4)
    _calls(gw, "plain", "gpt-4o", "gpt-4o", None, 4)
    _calls(gw, "quiet", "gpt-4o", "gpt-4o", "old", 4, age_s=60 * 86_400)  # before the window
    items = _item(gw)
    assert items["ruled"]["verdict"] == "met", items["ruled"]
    assert items["ruled"]["evidence"]["routed_by_rule"] == 3 and items["ruled"]["evidence"]["rules"] == {"long": 3}
    assert items["spread"]["verdict"] == "met"
    assert items["spread"]["evidence"]["models_on_several_deployments"] == {"gpt-4o-mini": 2}
    assert items["unused"]["verdict"] == "partial", items["unused"]
    assert "gpt-4o-mini-eu" in items["unused"]["reason"]
    assert items["plain"]["verdict"] == "unmet" and "routing:" in items["plain"]["reason"]
    assert items["quiet"]["verdict"] == "not_assessable"
