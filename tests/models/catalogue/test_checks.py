"""`model_catalogue` on seeded request logs, SQLite and PostgreSQL: met when every call went to an approved
catalogue model, partial when most did, unmet otherwise, not assessable without calls; an admin's block or
approval recorded in the store counts as the gateway serves it; the evidence counts calls per status."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from rungway.domain.ids import new_id
from rungway.domain.records import RequestRecord
from rungway.store.requests import insert_requests
from tests.api.http import call
from tests.assessment.helpers import assess
from tests.models.catalogue.support import CATALOGUE_CONFIG
from tests.servers import Gateway

CONFIG = CATALOGUE_CONFIG.replace(
    "workloads:\n  test:\n    team: qa\n  other:\n    team: qa\n",
    "workloads:\n  good:\n    team: qa\n  mixed:\n    team: qa\n  stale:\n    team: qa\n  idle:\n    team: qa\n",
)


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(CONFIG, store_url=store_url)


def _calls(gw: Gateway, workload: str, model: str, n: int) -> None:
    now = time.time()
    insert_requests(gw.state.engine, [
        RequestRecord(id=new_id("req_"), ts_start=now - 60, ts_end=now - 59, workload=workload, key_id="key_app",
                      user="u1", team=None, model_resolved=model, status=200, latency_ms=20.0)
        for _ in range(n)
    ])  # fmt: skip


def _item(report: dict[str, Any]) -> dict[str, Any]:
    return next(i for i in report["items"] if i["item"] == "model_catalogue")


def test_met_partial_unmet_and_not_assessable(gw: Gateway) -> None:
    _calls(gw, "good", "new-model-2026-01-01", 4)
    _calls(gw, "good", "claude-sonnet-4-5-20250929", 2)  # approved in the shipped catalogue
    _calls(gw, "mixed", "new-model-2026-01-01", 3)
    _calls(gw, "mixed", "old-model-2025-01-01", 1)  # deprecated
    _calls(gw, "stale", "old-model-2025-01-01", 2)
    _calls(gw, "stale", "my-private-model", 3)  # outside the catalogue
    _calls(gw, "stale", "new-model-2026-01-01", 1)
    reports = assess(gw)
    good, mixed, stale, idle = (_item(reports[w]) for w in ("good", "mixed", "stale", "idle"))
    assert good["verdict"] == "met", good
    assert good["evidence"]["calls_by_status"] == {"approved": 6}
    assert mixed["verdict"] == "partial", mixed
    assert mixed["evidence"]["approved_pct"] == 75.0
    assert mixed["evidence"]["calls_by_status"] == {"approved": 3, "deprecated": 1}
    assert stale["verdict"] == "unmet", stale
    assert stale["evidence"]["models_outside_catalogue"] == {"my-private-model": 3}
    assert "2 deprecated" in stale["reason"] and "3 not in catalogue" in stale["reason"]
    assert idle["verdict"] == "not_assessable"


def test_recorded_changes_count_as_the_gateway_serves_them(gw: Gateway) -> None:
    _calls(gw, "good", "new-model-2026-01-01", 2)
    _calls(gw, "mixed", "old-model-2025-01-01", 2)
    assert call(gw, "POST", "/api/models/catalogue/new-model-2026-01-01/block", body={})[0] == 200
    assert call(gw, "POST", "/api/models/catalogue/old-model-2025-01-01/approve", body={})[0] == 200
    reports = assess(gw)
    assert _item(reports["good"])["verdict"] == "unmet"
    assert _item(reports["good"])["evidence"]["calls_by_status"] == {"blocked": 2}
    assert _item(reports["mixed"])["verdict"] == "met"
