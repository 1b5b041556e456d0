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

from rungway.assessment.config import (
    DEFAULT_ATTESTATION_S,
    AssessmentSettings,
    assessment_settings,
    duration_problem,
    parse_duration,
)
from rungway.assessment.imported import (
    COMMIT,
    FILE_NAME_MAX,
    ImportedRun,
    ImportFileError,
    parse_import,
)
from rungway.assessment.model import DAY_S, Attestation, Drift, WorkloadAssessment, detect_drift
from rungway.assessment.model_file import load_model
from rungway.assessment.runner import assess_workloads
from rungway.assessment.sources import attestable
from rungway.assessment.store import (
    StoredAssessment,
    ThresholdOverride,
    assessment_history,
    insert_assessments,
    insert_attestation,
    insert_import,
    latest_assessments,
    list_attestations,
    set_claimed_stage,
    set_threshold,
)
from rungway.domain.bounds import has_control_characters
from rungway.domain.ids import new_id
from rungway.domain.timespec import TimeSpecError, parse_instant
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
    limits = config.limits
    default_key_limits = limits.key_rpm is not None or limits.key_tpm is not None
    results = assess_workloads(
        engine, load_model(), settings, config.models, now, workload, default_key_limits, config.parsed_sections
    )
    # A scheduled run alerts on drift since the last scheduled run: a manual or API run in between must not
    # become the baseline, or it would swallow the alert the scheduled run would have sent.
    baseline = "scheduled" if trigger == "scheduled" else None
    previous = latest_assessments(engine, [a.workload for a in results], baseline)
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


def attestable_items() -> list[str]:
    """Items a person may attest: those only a person can evidence, and those Rungway cannot evidence yet.

    An item Rungway evidences from its own records (authentication, budgets, ...) cannot be attested:
    an attestation must never stand in for evidence that exists.
    """
    return [i.id for i in load_model().items if attestable(i)]


def attest(
    engine: Engine,
    *,
    item: str,
    workload: str,
    by: str,
    link: str,
    expires: str | float | None = None,
    note: str = "",
    now: float | None = None,
    acting_key: str | None = None,
    not_applicable: bool = False,
    max_s: float = DEFAULT_ATTESTATION_S,
) -> Attestation:
    """Sign off an item for a workload until it expires (`90d`, `3mo`; at most `max_s`, the default).

    `acting_key` is the id of the person's key that made it (the API checks it is a person's); the CLI,
    which already holds the store, records None. `not_applicable` attests that a conditional item
    ("for regulated workloads", "where the architecture requires it") does not apply.
    """
    model = load_model()
    allowed = attestable_items()
    try:
        found = model.item(item)
    except KeyError:
        raise InvalidRequest(f"no maturity item {item!r}; attestable: {', '.join(allowed)}", param="item") from None
    if not_applicable and found.condition is None:
        conditional = ", ".join(i.id for i in model.items if i.condition)
        raise InvalidRequest(
            f"{item!r} applies to every workload: only conditional items can be not applicable ({conditional})",
            param="not_applicable",
        )
    if item not in allowed:
        raise InvalidRequest(
            f"{item!r} is evidenced by Rungway from its own records (check {found.check.id if found.check else ''!r}), "
            "so it cannot be attested; see `rungway assess` for what the evidence lacks",
            param="item",
        )
    _require_workload(engine, workload)
    if not by.strip():
        raise InvalidRequest("say who attests: --by NAME", param="by")
    if not link.startswith(("http://", "https://")):
        raise InvalidRequest("the link must be an http(s) URL of the runbook or document", param="link")
    seconds = max_s if expires is None else parse_duration(expires)
    if seconds is None:
        raise InvalidRequest(f"expires {expires!r}: {duration_problem(expires)}", param="expires")
    if seconds > max_s + 1e-6:
        raise InvalidRequest(
            f"expires {expires!r} is longer than the {max_s / DAY_S:g} days an attestation may hold "
            f"(assessment.max_attestation): write at most {max_s / DAY_S:g}d, and renew it then",
            param="expires",
        )
    now = time.time() if now is None else now
    attestation = Attestation(
        new_id("att_"), workload, item, by.strip(), link, now, now + seconds, note, acting_key, not_applicable
    )
    insert_attestation(engine, attestation)
    return attestation


def import_run(
    engine: Engine,
    *,
    workload: str,
    item: str,
    fmt: str,
    data: bytes,
    file_name: str,
    commit: str | None = None,
    at: str | float | None = None,
    by: str,
    now: float | None = None,
) -> ImportedRun:
    """Keep one imported run (promptfoo JSON, JUnit XML) as evidence for an item that takes imports."""
    model = load_model()
    takers = {i.id: i.imports for i in model.items if i.imports is not None}
    spec = takers.get(item)
    if spec is None:
        accepted = ", ".join(f"{k} ({'|'.join(v.formats)})" for k, v in takers.items())
        raise InvalidRequest(f"{item!r} does not take imported runs; these do: {accepted}", param="item")
    if fmt not in spec.formats:
        raise InvalidRequest(f"{item} takes {', '.join(spec.formats)} runs, not {fmt!r}", param="format")
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or len(name) > FILE_NAME_MAX or has_control_characters(name):
        raise InvalidRequest(f"file name must be 1 to {FILE_NAME_MAX} printable characters", param="file_name")
    if commit is not None and not COMMIT.match(commit):
        raise InvalidRequest(f"commit {commit!r} is not a git SHA (7 to 64 hex digits)", param="commit")
    _require_workload(engine, workload)
    parsed = parse_import(fmt, data, name)
    now = time.time() if now is None else now
    when = parsed.run_at
    if at is not None:
        try:
            when = float(at) if isinstance(at, int | float) else parse_instant(str(at), now)
        except TimeSpecError:
            raise InvalidRequest(
                f"at {at!r}: write when it ran: an ISO 8601 time (2026-11-30T09:00Z), epoch seconds or 2h (ago)",
                param="at",
            ) from None
    if when is None:
        raise ImportFileError(name, "the file says not when it ran", "pass the run's time with --at 2026-11-30T09:00Z")
    if when > now + 300:
        raise InvalidRequest(f"the run's time {when:.0f} is in the future; pass --at with when it ran", param="at")
    run = ImportedRun(
        new_id("imp_"), workload, item, parsed.tool, parsed.kind, when, commit, parsed.cases, parsed.passed,
        parsed.failed, name, now, by,
    )  # fmt: skip
    insert_import(engine, run)
    return run


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
