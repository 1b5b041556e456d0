"""The `slos` evidence check on seeded stores (SQLite and PostgreSQL): met, partial (unmeasured, or covering
part of the traffic), unmet and not assessable."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from rungway.slos import store
from rungway.slos.model import check_slo
from tests.assessment.helpers import ASSESS_CONFIG, assess
from tests.servers import Gateway
from tests.slos.support import calls, spread

WORKLOADS = ("measured", "quiet", "narrow", "unwatched", "silent")
CONFIG = ASSESS_CONFIG + "".join(f"  {w}:\n    risk_tier: internal\n" for w in WORKLOADS) + "slos:\n  min_calls: 50\n"
DAY = 86_400.0


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(CONFIG, store_url=store_url)


def _slo(gw: Gateway, workload: str, **raw: Any) -> None:
    slo = check_slo(workload, "avail", {"kind": "availability", "objective": 0.99, **raw})
    store.put_definition(gw.state.engine, slo, "api", None, time.time())


def test_slos_met_partial_unmet_and_not_assessable(gw: Gateway) -> None:
    engine = gw.state.engine
    calls(engine, "measured", spread(120, 3600, 20 * DAY))
    _slo(gw, "measured")
    calls(engine, "quiet", spread(5, 3600, 20 * DAY))
    _slo(gw, "quiet")
    calls(engine, "narrow", spread(60, 3600, 20 * DAY), model="gpt-4o-mini")
    calls(engine, "narrow", spread(40, 3600, 20 * DAY), model="other-model")
    _slo(gw, "narrow", model="gpt-4o-mini")
    calls(engine, "unwatched", spread(30, 3600, 20 * DAY))
    items = {w: {i["item"]: i for i in r["items"]}["slos"] for w, r in assess(gw).items()}
    verdict = {w: items[w]["verdict"] for w in WORKLOADS}
    assert verdict == {"measured": "met", "quiet": "partial", "narrow": "partial", "unwatched": "unmet",
                       "silent": "not_assessable"}  # fmt: skip
    assert "unmeasured" in items["quiet"]["reason"] and "avail (5 events)" in items["quiet"]["reason"]
    assert "model gpt-4o-mini" in items["narrow"]["reason"] and "60%" in items["narrow"]["reason"]
    assert items["narrow"]["evidence"]["calls_covered"] == 60
    assert "no SLO" in items["unwatched"]["reason"]
