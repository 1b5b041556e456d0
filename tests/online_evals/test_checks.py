"""The `continuous_evaluation` evidence check on real traffic (SQLite and PostgreSQL): met with online scorers
matching the workload's calls and anomaly detection judging its hours; partial with one half, or with scorers
matching too little of the traffic; unmet with traffic and neither; not assessable without chat calls."""

from __future__ import annotations

import time
from collections.abc import Callable

from rungway.anomalies.config import AnomaliesConfig, WorkloadWatch
from rungway.anomalies.detector import HOUR
from rungway.anomalies.service import evaluate
from tests.assessment.helpers import assess
from tests.online_evals.support import online_gateway, settle
from tests.servers import Gateway

HI = [{"role": "user", "content": "hi"}]


def _items(gw: Gateway) -> dict[str, dict[str, object]]:
    reports = assess(gw)
    return {w: {i["item"]: i for i in r["items"]}["continuous_evaluation"] for w, r in reports.items()}


def test_continuous_evaluation(gateway_factory: Callable[..., Gateway], store_url: str) -> None:
    gw = online_gateway(gateway_factory, store_url, sample=1.0)  # `test` scores gpt-4o calls; `other` has none
    for _ in range(5):
        gw.sdk(gw.create_key("test").secret).chat.completions.create(model="gpt-4o", messages=HI)  # type: ignore[arg-type]
    other = gw.sdk(gw.create_key("other").secret)
    for _ in range(3):
        other.chat.completions.create(model="gpt-4o", messages=HI)  # type: ignore[arg-type]
    settle(gw)
    items = _items(gw)
    # Scored, but nobody watches the hours yet: partial, naming the missing half.
    assert items["test"]["verdict"] == "partial"
    assert "anomaly detection is off" in str(items["test"]["reason"])
    assert items["other"]["verdict"] == "unmet" and "no online scorer" in str(items["other"]["reason"])
    # The anomaly detector judges the calls' hour for `test` (and is off for `other`).
    config = AnomaliesConfig(min_volume=1, baseline_weeks=2, workloads={"other": WorkloadWatch(enabled=False)})
    evaluate(gw.state.engine, config, time.time() + 2 * HOUR)
    items = _items(gw)
    assert items["test"]["verdict"] == "met", items["test"]
    evidence = items["test"]["evidence"]
    assert isinstance(evidence, dict) and evidence["matched_share"] == 1.0 and evidence["scored"] == 5
    assert evidence["scorers"] == ["short (length, 1)"]
    assert items["other"]["verdict"] == "unmet"
    # Calls the scorer's filter does not match bring the share under 80%: partial, with the share.
    for _ in range(6):
        gw.sdk(gw.create_key("test").secret).chat.completions.create(model="gpt-4o-mini", messages=HI)  # type: ignore[arg-type]
    settle(gw)
    test = _items(gw)["test"]
    assert test["verdict"] == "partial" and "matched 45% of 11 chat calls (needs 80%)" in str(test["reason"])


def test_without_chat_calls_it_is_not_assessable(gateway_factory: Callable[..., Gateway]) -> None:
    gw = online_gateway(gateway_factory)
    items = _items(gw)
    assert items["test"]["verdict"] == "not_assessable" and items["other"]["verdict"] == "not_assessable"
