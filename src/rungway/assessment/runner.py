"""Run every item's evidence check once for all workloads, resolve each item from its best source, assess.

Standards come from, in order of precedence: thresholds the organisation stored
(`rungway assess threshold`), the `assessment:` section of rungway.yaml, the model's defaults; a
threshold set below the model's default is carried on the item result so every format shows it.
Sources (evidenced, imported, attested) are resolved in `rungway.assessment.sources`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import partial

from sqlalchemy import Engine

from rungway.assessment.config import AssessmentSettings
from rungway.assessment.facts import prompt_facts, refresh_rollup, request_facts, route_facts
from rungway.assessment.imported import ImportedRun
from rungway.assessment.model import (
    DAY_S,
    Attestation,
    ItemResult,
    MaturityItem,
    MaturityModel,
    WorkloadAssessment,
    assess_workload,
)
from rungway.assessment.sources import resolve_item
from rungway.assessment.store import (
    ThresholdOverride,
    claimed_stage_map,
    list_attestations,
    list_imports,
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


def lowered_threshold(
    item: MaturityItem, req: CheckRequest, settings: AssessmentSettings, overrides: Mapping[str, ThresholdOverride]
) -> str | None:
    """How the standard applied is below the model's ("lowered to 80% from the model's 95% (...)"), else None."""
    assert item.check is not None
    default = item.check.threshold
    if default is None or req.threshold is None or req.threshold >= default - 1e-12:
        return None
    stored = overrides.get(req.id)
    if stored is not None and stored.threshold is not None:
        by = "`rungway assess threshold`" + (f", set by {stored.updated_by}" if stored.updated_by else "")
    else:
        by = "assessment.thresholds in rungway.yaml"
    return f"lowered to {req.threshold * 100:g}% from the model's {default * 100:g}% ({by})"


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
    imports: Sequence[ImportedRun] = (),
) -> dict[str, dict[str, ItemResult]]:
    """workload -> item id -> result, running each check once for all workloads."""
    results: dict[str, dict[str, ItemResult]] = {w.name: {} for w in ctx.workloads}
    attested: dict[str, list[Attestation]] = {}
    for a in attestations:
        attested.setdefault(a.workload, []).append(a)
    imported: dict[str, list[ImportedRun]] = {}
    for run in imports:
        imported.setdefault(run.workload, []).append(run)
    for item in model.items:
        outcomes: Mapping[str, CheckOutcome] = {}
        threshold = lowered = None
        if item.check is not None:
            req = check_request(item, settings, overrides)
            outcomes = _run_check(ctx, req)
            threshold = describe_threshold(req)
            lowered = lowered_threshold(item, req, settings, overrides)
        for w in ctx.workloads:
            outcome = None
            if item.check is not None:
                missing = CheckOutcome(Verdict.UNMET, "the check returned no answer for this workload")
                outcome = outcomes.get(w.name) or missing
            results[w.name][item.id] = resolve_item(
                item,
                risk_tier=w.risk_tier.value,
                outcome=outcome,
                threshold=threshold,
                lowered=lowered,
                runs=imported.get(w.name, ()),
                attestations=attested.get(w.name, ()),
                now=ctx.now,
            )
    return results


def assess_workloads(
    engine: Engine,
    model: MaturityModel,
    settings: AssessmentSettings,
    routes: Mapping[str, ModelRoute],
    now: float,
    workload: str | None = None,
    default_key_limits: bool = False,
    sections: Mapping[str, object] | None = None,
) -> list[WorkloadAssessment]:
    """Assess every workload (or one) from the evidence in the store at `now`; `default_key_limits`: the config
    gives keys without a limit of their own a default one (`limits.key_rpm`/`key_tpm`)."""
    refresh_rollup(engine, now)
    workloads: list[Workload] = list_workloads(engine)
    if workload is not None:
        workloads = [w for w in workloads if w.name == workload]
        if not workloads:
            raise NotFound(f"no workload named {workload!r}; see `rungway workloads list`", code="workload_not_found")
    ctx = CheckContext(
        engine,
        now,
        workloads,
        routes,
        partial(request_facts, engine),
        default_key_limits,
        partial(prompt_facts, engine),
        sections,
        partial(route_facts, engine),
    )
    windows = [i.imports.window_days for i in model.items if i.imports is not None]
    imports = list_imports(engine, since=now - max(windows) * DAY_S) if windows else []
    results = item_results(ctx, model, settings, threshold_overrides(engine), list_attestations(engine), imports)
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
