"""The red-team evidence checks on seeded stores (SQLite and PostgreSQL): `basic_red_teaming` and
`structured_red_teaming` met, partial, unmet and not assessable."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from rungway.redteam import service
from rungway.redteam.checks import BASE_CATEGORIES
from rungway.redteam.model import AttackResult
from rungway.redteam.service import RunInput
from tests.assessment.helpers import ASSESS_CONFIG, assess
from tests.servers import Gateway

WORKLOADS = ("wide", "narrow", "stale", "never", "steady", "loose", "lapsed", "unscheduled")
CONFIG = ASSESS_CONFIG + "".join(f"  {w}:\n    risk_tier: internal\n" for w in WORKLOADS)
DAY = 86_400.0


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(CONFIG, store_url=store_url)


def _seed(gw: Gateway, workload: str, days_ago: float, categories: tuple[str, ...] = BASE_CATEGORIES,
          trigger: str = "cli", failing: tuple[str, ...] = ()) -> str:  # fmt: skip
    at = time.time() - days_ago * DAY
    results = tuple(
        AttackResult(f"{c[:3]}-00{i}", c, None, "canary", f"{c[:3]}-00{i}" in failing, "canary", "")
        for c in categories
        for i in (1, 2)
    )
    run = RunInput("v1", (), None, "m", None, 0, trigger, at, at + 60, results)
    return service.record_run(gw.state.engine, workload, "seed", run)[0].id


def _items(gw: Gateway) -> dict[str, dict[str, dict[str, Any]]]:
    return {w: {i["item"]: i for i in r["items"]} for w, r in assess(gw).items()}


def test_basic_red_teaming(gw: Gateway) -> None:
    _seed(gw, "wide", 10)
    _seed(gw, "narrow", 5, ("jailbreak",))
    _seed(gw, "stale", 120)
    items = _items(gw)
    verdict = {w: items[w]["basic_red_teaming"]["verdict"] for w in ("wide", "narrow", "stale", "never")}
    assert verdict == {"wide": "met", "narrow": "partial", "stale": "unmet", "never": "not_assessable"}
    assert "prompt-injection" in items["narrow"]["basic_red_teaming"]["evidence"]["missing_categories"]


def test_structured_red_teaming(gw: Gateway) -> None:
    engine = gw.state.engine
    for workload in ("steady", "loose", "lapsed"):
        service.put_schedule(engine, workload, 7 * DAY, (), None, "m", "seed")
    _seed(gw, "steady", 8, trigger="schedule")
    regressed = _seed(gw, "steady", 1, trigger="schedule", failing=("jai-001",))
    service.triage(engine, "steady", regressed, "jai-001", "accepted", "known, mitigated upstream", "ann")
    _seed(gw, "loose", 8, trigger="schedule")
    _seed(gw, "loose", 1, trigger="schedule", failing=("sys-002",))  # never triaged
    _seed(gw, "lapsed", 100, trigger="schedule")
    _seed(gw, "unscheduled", 3)  # a one-off run, no schedule
    items = _items(gw)
    verdict = {w: items[w]["structured_red_teaming"]["verdict"] for w in ("steady", "loose", "lapsed", "unscheduled")}
    assert verdict == {"steady": "met", "loose": "partial", "lapsed": "unmet", "unscheduled": "not_assessable"}
    loose = items["loose"]["structured_red_teaming"]
    assert loose["evidence"]["untriaged_findings"] == 1 and "not triaged" in loose["reason"]
