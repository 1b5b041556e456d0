"""Run every item's evidence check (or read its attestation) and turn the verdicts into assessments.

Standards come from, in order of precedence: thresholds the organisation stored
(`rungway assess threshold`), the `assessment:` section of rungway.yaml, the model's defaults.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import partial

from sqlalchemy import Engine

from rungway.assessment.config import AssessmentSettings
from rungway.assessment.facts import refresh_rollup, request_facts
from rungway.assessment.model import (
    Attestation,
    ItemResult,
    MaturityItem,
    MaturityModel,
    WorkloadAssessment,
    assess_workload,
    attestation_result,
)
from rungway.assessment.store import (
    ThresholdOverride,
    claimed_stage_map,
    list_attestations,
    threshold_overrides,
)
from rungway.domain.workloads import Workload
from rungway.errors import NotFound
from rungway.evidence import CheckContext, CheckOutcome, CheckRequest, Verdict, load_checks
from rungway.settings.config import ModelRoute
from rungway.store.workloads import list_workloads

log = logging.getLogger("rungway.assessment")


def check_request(
    item: MaturityItem, settings: AssessmentSettings, overrides: Mapping[str, ThresholdOverride]
) -> CheckRequest:
    """The standard applied to an item's check: stored override > config > model default."""
    assert item.check is not None
    spec = item.check
    stored = overrides.get(spec.id)
    threshold = spec.threshold
    if spec.id in settings.thresholds:
        threshold = settings.thresholds[spec.id]
    if stored is not None and stored.threshold is not None:
        threshold = stored.threshold
    window = settings.window_days or spec.window_days
    if stored is not None and stored.window_days is not None:
        window = stored.window_days
    return CheckRequest(spec.id, threshold, window)


def describe_threshold(req: CheckRequest) -> str:
    share = "" if req.threshold is None else f">= {req.threshold * 100:g}% of calls, "
    return f"{share}last {req.window_days} days"


def _run_check(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    check = load_checks().get(req.id)
    if check is None:
        reason = f"no evidence check named {req.id!r} is installed"
        return {w.name: CheckOutcome(Verdict.NOT_ASSESSABLE, reason) for w in ctx.workloads}
    return check(ctx, req)


def item_results(
    ctx: CheckContext,
    model: MaturityModel,
    settings: AssessmentSettings,
    overrides: Mapping[str, ThresholdOverride],
    attestations: Sequence[Attestation],
) -> dict[str, dict[str, ItemResult]]:
    """workload -> item id -> result, running each check once for all workloads."""
    results: dict[str, dict[str, ItemResult]] = {w.name: {} for w in ctx.workloads}
    by_workload: dict[str, list[Attestation]] = {}
    for a in attestations:
        by_workload.setdefault(a.workload, []).append(a)
    for item in model.items:
        if item.attested:
            for w in ctx.workloads:
                results[w.name][item.id] = attestation_result(item, by_workload.get(w.name, []), ctx.now)
            continue
        req = check_request(item, settings, overrides)
        outcomes = _run_check(ctx, req)
        threshold = describe_threshold(req)
        for w in ctx.workloads:
            o = outcomes.get(w.name) or CheckOutcome(Verdict.UNMET, "the check returned no answer for this workload")
            results[w.name][item.id] = ItemResult(item.id, o.verdict, o.reason, o.evidence, threshold)
    return results


def assess_workloads(
    engine: Engine,
    model: MaturityModel,
    settings: AssessmentSettings,
    routes: Mapping[str, ModelRoute],
    now: float,
    workload: str | None = None,
) -> list[WorkloadAssessment]:
    """Assess every workload (or one) from the evidence in the store at `now`."""
    refresh_rollup(engine, now)
    workloads: list[Workload] = list_workloads(engine)
    if workload is not None:
        workloads = [w for w in workloads if w.name == workload]
        if not workloads:
            raise NotFound(f"no workload named {workload!r}; see `rungway workloads list`", code="workload_not_found")
    ctx = CheckContext(engine, now, workloads, routes, partial(request_facts, engine))
    results = item_results(ctx, model, settings, threshold_overrides(engine), list_attestations(engine))
    claims = claimed_stage_map(engine)
    targets = {**model.target_stages, **settings.target_stages}
    return [
        assess_workload(
            model,
            workload=w.name,
            risk_tier=w.risk_tier.value,
            results=results[w.name],
            assessed_at=now,
            claimed_stage=claims.get(w.name),
            targets=targets,
        )
        for w in workloads
    ]
