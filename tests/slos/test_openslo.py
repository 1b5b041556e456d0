"""SLOs exported as OpenSLO v1 documents and imported back unchanged; foreign documents refused by field."""

from __future__ import annotations

from typing import Any

import pytest

from rungway.slos.model import SloInvalid, check_slo
from rungway.slos.openslo import from_openslo, to_openslo

SLOS = [
    check_slo("bot", "avail", {"kind": "availability", "objective": 0.995, "description": "chat answers"}),
    check_slo(
        "bot",
        "fast",
        {
            "kind": "latency",
            "objective": 0.9,
            "threshold_ms": 1500,
            "measure": "ttft",
            "model": "gpt-4o-mini",
            "window": "7d",
        },
    ),
    check_slo(
        "bot", "good", {"kind": "quality", "objective": 0.8, "score": "helpful", "pass_threshold": 0.7, "window": "28d"}
    ),
]


@pytest.mark.parametrize("slo", SLOS, ids=lambda s: s.kind)
def test_export_then_import_gives_the_same_slo(slo: Any) -> None:
    doc = to_openslo(slo)
    assert doc["apiVersion"] == "openslo/v1" and doc["kind"] == "SLO" and doc["spec"]["service"] == "bot"
    ratio = doc["spec"]["indicator"]["spec"]["ratioMetric"]
    assert ratio["counter"] is True and set(ratio) == {"counter", "good", "total"}
    assert doc["spec"]["timeWindow"] == [{"duration": f"{slo.window_days}d", "isRolling": True}]
    assert doc["spec"]["objectives"][0]["target"] == slo.objective
    assert from_openslo(doc) == slo
    assert from_openslo(doc, "other").workload == "other"


def test_target_percent_is_accepted() -> None:
    doc = to_openslo(SLOS[0])
    doc["spec"]["objectives"] = [{"targetPercent": 99.9}]
    assert from_openslo(doc).objective == 0.999


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(apiVersion="openslo/v2alpha"), "apiVersion"),
        (lambda d: d["spec"].update(budgetingMethod="Timeslices"), "spec.budgetingMethod"),
        (lambda d: d["spec"]["timeWindow"][0].update(isRolling=False), "spec.timeWindow.isRolling"),
        (lambda d: d["spec"].update(timeWindow=[]), "spec.timeWindow"),
        (
            lambda d: d["spec"]["indicator"]["spec"]["ratioMetric"]["good"]["metricSource"].update(type="Prometheus"),
            "spec.indicator.spec.ratioMetric.good.metricSource.type",
        ),
        (lambda d: d["spec"].pop("indicator"), "spec.indicator.spec.ratioMetric.good.metricSource"),
        (lambda d: d["spec"]["objectives"][0].update(target=3), "objective"),
        (lambda d: d["metadata"].update(name=7), "name"),
        (lambda d: d.update(spec=[1]), "spec"),
        (lambda d: d["spec"].update(service=["x"]), "spec.service"),
    ],
)
def test_a_foreign_or_broken_document_is_refused_naming_the_field(change: Any, field: str) -> None:
    doc = to_openslo(SLOS[0])
    change(doc)
    with pytest.raises(SloInvalid) as caught:
        from_openslo(doc)
    assert caught.value.field == field
