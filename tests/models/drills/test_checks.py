"""`provider_outage_recovery` on seeded stores (SQLite and PostgreSQL): met with a fallback that served
traffic and a drill or incident that kept >= 99% of calls up; partial with one; unmet with neither."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from rungway.domain.ids import new_id
from rungway.domain.records import RequestRecord
from rungway.models.drills.store import DrillRow, insert_drill
from rungway.models.incidents.store import IncidentRow, WorkloadRow, save_incident
from rungway.store.requests import insert_requests
from tests.assessment.helpers import ASSESS_CONFIG, assess
from tests.servers import Gateway

CONFIG = ASSESS_CONFIG + "  both:\n    risk_tier: internal\n  drilled:\n    risk_tier: internal\n"
DAY = 86_400.0


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(CONFIG, store_url=store_url)


def _calls(gw: Gateway, workload: str, deployment: str, n: int, failed_over: bool = False, model: str = "") -> None:
    now = time.time()
    insert_requests(gw.state.engine, [
        RequestRecord(id=new_id("req_"), ts_start=now - 60, ts_end=now - 59, workload=workload, key_id="key_app",
                      user="u1", team=None, model_requested=model or "pinned-model", model_resolved="gpt-4o-2024-08-06",
                      status=200, latency_ms=20.0, deployment=deployment, failed_over=failed_over)
        for _ in range(n)
    ])  # fmt: skip


def _drill(gw: Gateway, workloads: dict[str, dict[str, int]], days_ago: float = 1.0) -> None:
    start = time.time() - days_ago * DAY
    insert_drill(gw.state.engine, DrillRow(
        id=new_id("drl_"), deployment="pinned-model", fault="error", error_rate=1.0, latency_s=0.0, duration_s=60,
        started_at=start, ends_at=start + 60, finished_at=start + 61, status="finished", actor="admin",
        calls=sum(w["calls"] for w in workloads.values()), served=sum(w["served"] for w in workloads.values()),
        failed_over=0, lost=0, success_rate=None, added_p50_ms=None, added_p99_ms=None, normal_p50_ms=None,
        normal_p99_ms=None, workloads=orjson.dumps(workloads).decode(),
    ))  # fmt: skip


def _items(gw: Gateway) -> dict[str, dict[str, Any]]:
    return {w: {i["item"]: i for i in r["items"]}["provider_outage_recovery"] for w, r in assess(gw).items()}


def test_met_partial_unmet(gw: Gateway) -> None:
    _calls(gw, "both", "pinned-model", 5)
    _calls(gw, "both", "pinned-model-eu", 5, failed_over=True)
    _drill(gw, {"both": {"calls": 1000, "served": 999}, "drilled": {"calls": 100, "served": 100}})
    _calls(gw, "good", "pinned-model", 5)
    _calls(gw, "good", "marked-pinned", 3, model="marked-pinned")  # another model, one deployment each: no fallback
    _calls(gw, "weak", "pinned-model", 4)
    _calls(gw, "weak", "pinned-model-eu", 4)  # one model served by two deployments: a fallback
    save_incident(gw.state.engine, IncidentRow(
        id="inc_weak", deployment="pinned-model", opened_at=time.time() - DAY, closed_at=time.time() - DAY + 60,
        cause="traffic", calls=100, served=90, failed_over=80, lost=10, added_p50_ms=None, added_p99_ms=None,
        normal_p50_ms=None, normal_p99_ms=None, workloads=(WorkloadRow("weak", 100, 90, 80, 10),),
    ))  # fmt: skip
    _drill(gw, {"idle": {"calls": 10, "served": 10}}, days_ago=120)  # too old to count
    gw.flush()
    items = _items(gw)
    assert items["both"]["verdict"] == "met", items["both"]
    assert items["both"]["evidence"]["best_success_rate"] == 0.999
    assert items["drilled"]["verdict"] == "partial"  # drilled, but no fallback served its traffic
    assert items["weak"]["verdict"] == "partial"  # a fallback, but its incident lost 10% of calls
    assert items["weak"]["evidence"]["best_success_rate"] == 0.9
    assert items["good"]["verdict"] == "unmet"
    assert items["idle"]["verdict"] == "unmet" and items["idle"]["evidence"]["drills_and_incidents"] == 0
