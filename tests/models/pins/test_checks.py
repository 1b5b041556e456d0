"""`model_pinning` (models/pins/checks.py) on seeded stores, SQLite and PostgreSQL: calls pinned at call time,
and pin changes in the window each applied from a passing upgrade report; met, partial and unmet."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from rungway.domain.ids import new_id
from rungway.domain.records import RequestRecord
from rungway.models.pins.config import UpgradeGate
from rungway.models.pins.service import PINS
from rungway.models.upgrades.model import CallDelta, UpgradeReport
from rungway.models.upgrades.store import insert_report
from rungway.store.requests import insert_requests
from tests.assessment.helpers import ASSESS_CONFIG, assess
from tests.servers import Gateway

CONFIG = ASSESS_CONFIG + "  planned: {}\n  unplanned: {}\n  floating: {}\n"


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(CONFIG, store_url=store_url)


def _calls(gw: Gateway, workload: str, pinned: int, floating: int = 0) -> None:
    now = time.time()
    insert_requests(gw.state.engine, [
        RequestRecord(id=new_id("req_"), ts_start=now - 60, ts_end=now - 59, workload=workload, key_id="key_app",
                      user="u1", team=None, model_requested="assistant",
                      model_resolved="gpt-4o-2024-08-06" if i < pinned else "gpt-4o", status=200, latency_ms=20.0,
                      model_pinned=i < pinned)
        for i in range(pinned + floating)
    ])  # fmt: skip


def _report(gw: Gateway, workload: str, passed: bool) -> str:
    report = UpgradeReport(new_id("upg_"), workload, "assistant", "gpt-4o-2024-05-13", "gpt-4o-2024-08-06", (), (),
                           CallDelta(0, None, None), CallDelta(0, None, None), UpgradeGate(), passed, (), "ana",
                           time.time())  # fmt: skip
    insert_report(gw.state.engine, report)
    return report.id


def _items(gw: Gateway) -> dict[str, dict[str, Any]]:
    return {w: next(i for i in r["items"] if i["item"] == "model_pinning") for w, r in assess(gw).items()}


def test_met_partial_and_unmet_from_pinned_calls_and_planned_pin_changes(gw: Gateway) -> None:
    pins = gw.state.slots[PINS]
    _calls(gw, "planned", pinned=5)
    pins.set_pin("planned", "assistant", "gpt-4o-2024-08-06", "ana", "report", _report(gw, "planned", True), "apply")
    pins.rollback("planned", "assistant", "ana", "rolled back")  # a rollback restores; it needs no report
    _calls(gw, "unplanned", pinned=5)
    pins.set_pin("unplanned", "assistant", "gpt-4o-2024-08-06", "bo", "felt right")
    failing = _report(gw, "unplanned", False)
    pins.set_pin("unplanned", "assistant", "gpt-4o-2024-11-20", "bo", "ignored the gate", failing)
    _calls(gw, "floating", pinned=1, floating=3)

    items = _items(gw)
    planned, unplanned, floating = items["planned"], items["unplanned"], items["floating"]
    assert planned["verdict"] == "met", planned
    assert planned["evidence"]["planned_pin_changes"] == 1 and "passing upgrade report" in planned["reason"]
    assert unplanned["verdict"] == "partial", unplanned
    assert sorted(unplanned["evidence"]["unplanned_pin_changes"]) == [
        "assistant: - -> gpt-4o-2024-08-06",
        "assistant: gpt-4o-2024-08-06 -> gpt-4o-2024-11-20",
    ]
    assert "without a passing upgrade report" in unplanned["reason"]
    assert floating["verdict"] == "partial" and floating["evidence"]["unpinned_models"] == {"gpt-4o": 3}
    assert items["idle"]["verdict"] == "unmet"  # no calls: no evidence
