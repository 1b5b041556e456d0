"""The `cost_forecasting` evidence check on seeded stores (SQLite and PostgreSQL): met with a budget and four
weeks of history, partial with one of the two or too short a history, unmet with neither."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.assessment.helpers import ASSESS_CONFIG, assess
from tests.forecasts.support import seed_spend, workload_budget
from tests.servers import Gateway

WORKLOADS = ("planned", "young", "unbudgeted", "budget-only", "blind")
CONFIG = ASSESS_CONFIG + "".join(f"  {w}:\n    risk_tier: internal\n" for w in WORKLOADS)


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(CONFIG, store_url=store_url)


def test_cost_forecasting(gw: Gateway) -> None:
    engine, now = gw.state.engine, time.time()
    seed_spend(engine, "planned", 35, team=None, now=now)
    workload_budget(engine, "planned-monthly", "planned", "1000")
    seed_spend(engine, "young", 10, team=None, now=now)
    workload_budget(engine, "young-monthly", "young", "1000")
    seed_spend(engine, "unbudgeted", 40, team=None, now=now)
    workload_budget(engine, "budget-only-monthly", "budget-only", "1000")
    reports = assess(gw)
    items = {w: {i["item"]: i for i in reports[w]["items"]}["cost_forecasting"] for w in WORKLOADS}
    verdict = {w: items[w]["verdict"] for w in WORKLOADS}
    assert verdict == {"planned": "met", "young": "partial", "unbudgeted": "partial", "budget-only": "partial",
                       "blind": "unmet"}  # fmt: skip
    assert items["planned"]["evidence"]["history_days"] == 35
    assert items["young"]["evidence"]["history_days"] == 10 and "needs 28" in items["young"]["reason"]
    assert "no budget" in items["unbudgeted"]["reason"]
