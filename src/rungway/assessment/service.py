"""The assessment use cases shared by the CLI, the management API and the scheduler.

Run an assessment (and keep it, flagging drift against each workload's previous one), read the
history, attest an item, record a team's claimed stage, set an organisation's own threshold.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from rungway.assessment.config import AssessmentSettings, assessment_settings
from rungway.assessment.model import Attestation, Drift, WorkloadAssessment, detect_drift
from rungway.assessment.model_file import load_model
from rungway.assessment.runner import assess_workloads
from rungway.assessment.store import (
    StoredAssessment,
    ThresholdOverride,
    assessment_history,
    insert_assessments,
    insert_attestation,
    latest_assessments,
    list_attestations,
    set_claimed_stage,
    set_threshold,
)
from rungway.domain.ids import new_id
from rungway.domain.timespec import positive_duration
from rungway.errors import InvalidRequest, NotFound
from rungway.settings.config import Config
from rungway.store.workloads import get_workload

TRIGGERS = ("manual", "api", "scheduled")


@dataclass(frozen=True)
class AssessmentRun:
    """One assessment of one or more workloads, with the drift found against each one's previous run."""

    run_id: str
    assessed_at: float
    trigger: str
    assessments: Sequence[WorkloadAssessment]
    drifts: Sequence[Drift]

    def drift_of(self, workload: str) -> Drift | None:
        return next((d for d in self.drifts if d.workload == workload), None)

    def to_dict(self) -> dict[str, Any]:
        model = load_model()
        return {
            "run_id": self.run_id,
            "assessed_at": self.assessed_at,
            "trigger": self.trigger,
            "model_version": model.version,
            "workloads": [
                a.to_dict() | {"drift": (d.to_dict() if (d := self.drift_of(a.workload)) else None)}
                for a in self.assessments
            ],
        }


def run_assessment(
    engine: Engine,
    config: Config,
    *,
    workload: str | None = None,
    trigger: str = "manual",
    persist: bool = True,
    now: float | None = None,
    settings: AssessmentSettings | None = None,
) -> AssessmentRun:
    """Assess from the evidence in the store; when `persist`, keep it in the history."""
    now = time.time() if now is None else now
    settings = settings or assessment_settings(config)
    results = assess_workloads(engine, load_model(), settings, config.models, now, workload)
    previous = latest_assessments(engine, [a.workload for a in results])
    drifts = []
    for current in results:
        before = previous.get(current.workload)
        drift = detect_drift(WorkloadAssessment.from_dict(before.report) if before else None, current)
        if drift is not None:
            drifts.append(drift)
    run = AssessmentRun(new_id("asr_"), now, trigger, results, drifts)
    if persist:
        insert_assessments(
            engine,
            [
                StoredAssessment(
                    id=new_id("asm_"),
                    run_id=run.run_id,
                    workload=a.workload,
                    assessed_at=now,
                    trigger=trigger,
                    stage=a.stage,
                    target_stage=a.target_stage,
                    claimed_stage=a.claimed_stage,
                    drift=run.drift_of(a.workload) is not None,
                    report=a.to_dict() | {"drift": d.to_dict() if (d := run.drift_of(a.workload)) else None},
                )
                for a in results
            ],
        )
    return run


def history(
    engine: Engine, workload: str | None = None, since: float | None = None, limit: int = 500
) -> list[StoredAssessment]:
    return assessment_history(engine, workload, since, limit)


def _require_workload(engine: Engine, workload: str) -> None:
    if get_workload(engine, workload) is None:
        raise NotFound(f"no workload named {workload!r}; see `rungway workloads list`", code="workload_not_found")


def attest(
    engine: Engine,
    *,
    item: str,
    workload: str,
    by: str,
    link: str,
    expires: str | float,
    note: str = "",
    now: float | None = None,
) -> Attestation:
    """Sign off an attested item for a workload until it expires (`90d`, or seconds)."""
    model = load_model()
    try:
        found = model.item(item)
    except KeyError:
        attestable = ", ".join(i.id for i in model.items if i.attested)
        raise InvalidRequest(f"no maturity item {item!r}; attestable items: {attestable}", param="item") from None
    if not found.attested:
        raise InvalidRequest(
            f"{item!r} is evidenced by the check {found.check.id if found.check else ''!r}, not attested: "
            "Rungway measures it from the store",
            param="item",
        )
    _require_workload(engine, workload)
    if not by.strip():
        raise InvalidRequest("say who attests: --by NAME", param="by")
    if not link.startswith(("http://", "https://")):
        raise InvalidRequest("the link must be an http(s) URL of the runbook or document", param="link")
    seconds = positive_duration(expires)
    if seconds is None:
        raise InvalidRequest(f"expires {expires!r}: write a duration such as 90d or 12w", param="expires")
    now = time.time() if now is None else now
    attestation = Attestation(new_id("att_"), workload, item, by.strip(), link, now, now + seconds, note)
    insert_attestation(engine, attestation)
    return attestation


def attestations(engine: Engine, workload: str | None = None) -> list[Attestation]:
    return list_attestations(engine, workload)


def claim_stage(engine: Engine, *, workload: str, stage: int, by: str | None = None) -> None:
    """Record the stage a team says its workload has reached, to show beside the evidenced one."""
    top = load_model().top_stage
    if not 1 <= stage <= top:
        raise InvalidRequest(f"stage must be from 1 to {top}, got {stage}", param="stage")
    _require_workload(engine, workload)
    set_claimed_stage(engine, workload, stage, by, time.time())


def set_org_threshold(
    engine: Engine, *, check_id: str, threshold: float | None, window_days: int | None, by: str | None = None
) -> ThresholdOverride:
    """Set the organisation's own standard for a check (stored; overrides config and model defaults)."""
    checks = {i.check.id for i in load_model().items if i.check is not None and i.check.threshold is not None}
    if check_id not in checks:
        raise InvalidRequest(f"no threshold check {check_id!r}; use one of {', '.join(sorted(checks))}", param="check")
    if threshold is not None and not 0 < threshold <= 1:
        raise InvalidRequest("threshold is a fraction in (0, 1]: write 0.95 for 95%", param="threshold")
    if window_days is not None and not 1 <= window_days <= 3650:
        raise InvalidRequest("window_days must be from 1 to 3650", param="window_days")
    override = ThresholdOverride(check_id, threshold, window_days, by, time.time())
    set_threshold(engine, override)
    return override
