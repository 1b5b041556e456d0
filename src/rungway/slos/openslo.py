"""SLOs to and from OpenSLO v1 documents (`apiVersion: openslo/v1`, `kind: SLO`).

An SLO is exported as a ratio SLI (`indicator.spec.ratioMetric`, `counter: true`) whose `good` and `total`
name the data source `Rungway` with the indicator's parameters (kind, model, route, threshold, measure,
score, pass threshold) and a readable `query`; `spec.service` is the workload, `timeWindow` one rolling
window (7d, 28d or 30d), `budgetingMethod: Occurrences` and one objective with its `target` (a share).
Import reads the same shape back (`targetPercent` is accepted too) and checks every field as the API does;
a document of another kind, version, data source or budgeting method is refused, naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rungway.slos.model import Slo, SloInvalid, check_slo

__all__ = ["API_VERSION", "SOURCE_TYPE", "from_openslo", "to_openslo"]

API_VERSION = "openslo/v1"
SOURCE_TYPE = "Rungway"
_PARAMS = ("kind", "model", "route", "threshold_ms", "measure", "score", "pass_threshold")


def _queries(slo: Slo) -> tuple[str, str]:
    scope = (
        f"workload={slo.workload}"
        + (f",model={slo.model}" if slo.model else "")
        + (f",route={slo.route}" if slo.route else "")
    )
    if slo.kind == "availability":
        return f"requests{{{scope},status<500}} excluding 4xx", f"requests{{{scope}}} excluding 4xx"
    if slo.kind == "latency":
        field = "latency_ms" if slo.measure == "total" else "ttft_ms"
        return f"requests{{{scope},status<400,{field}<={slo.threshold_ms:g}}}", f"requests{{{scope},status<400}}"
    named = f",name={slo.score}" if slo.score else ""
    return (f"scores{{{scope},source=online{named},value>={slo.pass_threshold:g}}}",
            f"scores{{{scope},source=online{named}}}")  # fmt: skip


def to_openslo(slo: Slo) -> dict[str, Any]:
    """The OpenSLO v1 `SLO` document of an SLO."""
    params = {k: v for k, v in slo.spec().items() if k in _PARAMS}
    good, total = _queries(slo)

    def source(query: str) -> dict[str, Any]:
        return {"metricSource": {"type": SOURCE_TYPE, "spec": {**params, "query": query}}}

    return {
        "apiVersion": API_VERSION,
        "kind": "SLO",
        "metadata": {"name": slo.name, "labels": {"workload": slo.workload}},
        "spec": {
            "description": slo.description,
            "service": slo.workload,
            "indicator": {
                "metadata": {"name": f"{slo.name}-sli"},
                "spec": {"ratioMetric": {"counter": True, "good": source(good), "total": source(total)}},
            },
            "timeWindow": [{"duration": f"{slo.window_days}d", "isRolling": True}],
            "budgetingMethod": "Occurrences",
            "objectives": [{"displayName": slo.name, "target": slo.objective}],
        },
    }


def _at(doc: Any, path: str) -> Any:
    value = doc
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise SloInvalid(path, "missing", f"an OpenSLO v1 SLO document has `{path}`")
        value = value[part]
    return value


def _one(doc: Any, path: str) -> Mapping[str, Any]:
    items = _at(doc, path)
    if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], Mapping):
        raise SloInvalid(path, "expected a list of exactly one mapping", f"give one entry under `{path}`")
    return items[0]


def from_openslo(doc: Any, workload: str | None = None) -> Slo:
    """The SLO an OpenSLO v1 `SLO` document describes; `workload` (when given) overrides `spec.service`."""
    if not isinstance(doc, Mapping):
        raise SloInvalid("document", f"expected a mapping, got {type(doc).__name__}", "give an OpenSLO SLO document")
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != "SLO":
        raise SloInvalid("apiVersion", f"expected apiVersion {API_VERSION} and kind SLO, got "
                         f"{doc.get('apiVersion')!r} {doc.get('kind')!r}", "export the SLO as OpenSLO v1")  # fmt: skip
    spec = _at(doc, "spec")
    if not isinstance(spec, Mapping):
        raise SloInvalid("spec", f"expected a mapping, got {type(spec).__name__}", "give the SLO's spec")
    method = spec.get("budgetingMethod", "Occurrences")
    if method != "Occurrences":
        raise SloInvalid("spec.budgetingMethod", f"only Occurrences is measured, got {method!r}",
                         "write budgetingMethod: Occurrences")  # fmt: skip
    good = _at(doc, "spec.indicator.spec.ratioMetric.good.metricSource")
    if not isinstance(good, Mapping) or good.get("type") != SOURCE_TYPE or not isinstance(good.get("spec"), Mapping):
        raise SloInvalid("spec.indicator.spec.ratioMetric.good.metricSource.type",
                         f"expected the data source {SOURCE_TYPE}", "export the SLO from Rungway")  # fmt: skip
    window = _one(doc, "spec.timeWindow")
    if window.get("isRolling") is not True:
        raise SloInvalid("spec.timeWindow.isRolling", "only rolling windows are measured", "write isRolling: true")
    objective = _one(doc, "spec.objectives")
    target = objective.get("target")
    if target is None and isinstance(objective.get("targetPercent"), int | float):
        target = objective["targetPercent"] / 100.0
    raw = {k: v for k, v in good["spec"].items() if k in _PARAMS}
    raw |= {"objective": target, "window": window.get("duration"), "description": spec.get("description")}
    owner = workload if workload is not None else _at(doc, "spec.service")
    if not isinstance(owner, str) or not owner:
        raise SloInvalid("spec.service", "expected the workload's name", "write service: WORKLOAD")
    return check_slo(owner, _at(doc, "metadata.name"), raw)
