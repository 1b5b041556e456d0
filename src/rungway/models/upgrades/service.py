"""Planned upgrades on the server: a report built from two stored eval runs per bound dataset, and `apply`.

The client (`rungway models upgrade plan`) runs the datasets; the server reads the stored runs
(evaluation's public module), so the numbers in a report are the server's, not a client's say. The
verdict is the workload's `upgrade_gate` applied to them; `apply` judges again with today's gate and
moves the pin only when the report passes and the pin still points at the report's `from` model.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from rungway.domain.ids import new_id
from rungway.errors import Conflict, InvalidRequest, NotFound
from rungway.evals.public import EvalRun, compare_records, get_run, load_records, read_results
from rungway.models.pins.model import PinChange
from rungway.models.pins.service import PinService
from rungway.models.upgrades.model import CallDelta, DatasetRuns, ScorerDelta, UpgradeReport, judge
from rungway.models.upgrades.store import get_report, insert_report, mark_applied

__all__ = ["PlanRequest", "apply_report", "build_report", "readable_report"]

PAGE = 1000
MAX_RESULTS = 20_000


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """What the client ran: per bound dataset, the run on the current model and the run on the candidate."""

    workload: str
    from_model: str
    to_model: str
    alias: str | None
    runs: Sequence[tuple[str, str]]  # (run on from_model, run on to_model)
    shadow: Mapping[str, Any] | None = None


def _run(engine: Engine, workload: str, run_id: str, model: str) -> EvalRun:
    run = get_run(engine, run_id)
    if run is None or run.workload != workload:
        raise NotFound(f"no eval run {run_id!r} in workload {workload!r}", param="runs")
    if run.model != model:
        raise InvalidRequest(f"eval run {run_id} ran {run.model!r}, not {model!r}", param="runs")
    return run


def _costs_and_latencies(engine: Engine, run_id: str) -> dict[tuple[str, int], tuple[float | None, float | None]]:
    out: dict[tuple[str, int], tuple[float | None, float | None]] = {}
    after: tuple[str, int] | None = None
    while len(out) <= MAX_RESULTS:
        rows = read_results(engine, run_id, after=after, limit=PAGE)
        for r in rows:
            out[(r.case_key, r.repeat)] = (r.cost_usd, r.latency_ms)
        if len(rows) < PAGE:
            break
        after = (rows[-1].case_key, rows[-1].repeat)
    return out


def _dataset(
    engine: Engine, req: PlanRequest, run_a: str, run_b: str
) -> tuple[DatasetRuns, list[ScorerDelta], list[tuple[Any, Any, Any, Any]]]:
    a, b = _run(engine, req.workload, run_a, req.from_model), _run(engine, req.workload, run_b, req.to_model)
    if a.dataset != b.dataset:
        raise InvalidRequest(
            f"runs {run_a} and {run_b} are of different datasets ({a.dataset}, {b.dataset})", param="runs"
        )
    comparison = compare_records(load_records(engine, run_a), load_records(engine, run_b))
    scorers = []
    for m in comparison.metrics:
        raw = m.to_json()
        p = min(float(raw["bootstrap_p_value"]), float(raw["mcnemar_p_value"]))
        scorers.append(
            ScorerDelta(
                a.dataset,
                m.metric,
                m.cases,
                m.mean_a,
                m.mean_b,
                float(raw["pass_rate_a"]),
                float(raw["pass_rate_b"]),
                p,
                m.verdict.value,
            )
        )
    overall = scorers[0]
    runs = DatasetRuns(a.dataset, run_a, run_b, comparison.matched, overall.pass_rate_a, overall.pass_rate_b)
    calls_a, calls_b = _costs_and_latencies(engine, run_a), _costs_and_latencies(engine, run_b)
    pairs = [(calls_a[k][0], calls_b[k][0], calls_a[k][1], calls_b[k][1]) for k in calls_a if k in calls_b]
    return runs, scorers, pairs


def _alias(pins: PinService, req: PlanRequest) -> str:
    if req.alias:
        return req.alias
    for pin in pins.pins(req.workload):
        if pin.snapshot == req.from_model:
            return pin.alias
    raise InvalidRequest(
        f"workload {req.workload!r} pins no alias to {req.from_model!r}: name the alias the upgrade moves (--alias)",
        param="alias",
    )


def build_report(
    engine: Engine, pins: PinService, req: PlanRequest, actor: str, now: float | None = None
) -> UpgradeReport:
    """The report from the stored runs, judged by the workload's gate, stored."""
    alias = _alias(pins, req)
    runs: list[DatasetRuns] = []
    scorers: list[ScorerDelta] = []
    pairs: list[tuple[Any, Any, Any, Any]] = []
    for run_a, run_b in req.runs:
        dataset_runs, deltas, calls = _dataset(engine, req, run_a, run_b)
        runs.append(dataset_runs)
        scorers += deltas
        pairs += calls
    cost = CallDelta.of([(p[0], p[1]) for p in pairs])
    latency = CallDelta.of([(p[2], p[3]) for p in pairs])
    gate = pins.config.policy_for(req.workload).upgrade_gate
    passed, reasons = judge(gate, scorers, runs, cost, latency)
    report = UpgradeReport(
        new_id("upg_"),
        req.workload,
        alias,
        req.from_model,
        req.to_model,
        tuple(runs),
        tuple(scorers),
        cost,
        latency,
        gate,
        passed,
        tuple(reasons),
        actor,
        time.time() if now is None else now,
        req.shadow,
    )
    insert_report(engine, report)
    return report


def readable_report(engine: Engine, workload: str | None, report_id: str) -> UpgradeReport:
    """The report if the caller's workload (None: the admin) may see it; the same 404 otherwise."""
    report = get_report(engine, report_id)
    if report is None or (workload is not None and report.workload != workload):
        raise NotFound(f"no upgrade report {report_id!r}; list them with GET /api/models/upgrades", param="id")
    return report


def apply_report(engine: Engine, pins: PinService, workload: str | None, report_id: str, actor: str) -> PinChange:
    """Move the pin to the report's `to` model if the report passes today's gate and the pin has not moved."""
    report = readable_report(engine, workload, report_id)
    gate = pins.config.policy_for(report.workload).upgrade_gate
    passed, reasons = judge(gate, report.scorers, report.runs, report.cost, report.latency)
    if not passed:
        raise Conflict(
            f"upgrade report {report_id} does not pass workload {report.workload!r}'s upgrade gate: "
            + "; ".join(reasons),
            code="upgrade_gate_failed",
        )
    if report.applied_at is not None:
        raise Conflict(f"upgrade report {report_id} was applied by {report.applied_by}", code="upgrade_applied")
    current = next((p.snapshot for p in pins.pins(report.workload) if p.alias == report.alias), None)
    if current not in (report.from_model, None):
        raise Conflict(
            f"{report.alias} is pinned to {current!r} now, not {report.from_model!r} as the report "
            "planned: plan the upgrade again",
            code="pin_moved",
        )
    change = pins.set_pin(
        report.workload,
        report.alias,
        report.to_model,
        actor,
        f"upgrade report {report.id}",
        report_id=report.id,
        kind="apply",
    )
    mark_applied(engine, report.id, actor, change.changed_at)
    return change
