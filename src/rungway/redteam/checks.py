"""The red-team evidence for the maturity assessment: a run in the window, and runs on a cadence with findings triaged.

`basic_red_teaming`: met when a run of the workload in the window attacked every base category of the
corpus (injection direct and indirect, jailbreak, system-prompt extraction, PII exfiltration, harmful content),
partial when the window's runs covered only some of them, unmet when the workload's last run is older than the
window. A workload that never ran one is not assessable, so an imported promptfoo red-team report or an
attestation may stand in.

`structured_red_teaming`: met when the workload has a schedule (config or API), at least two scheduled runs in
the window (history), its newest scheduled run is no older than twice the schedule's period (the cadence
held), and every new failure of every scheduled run in the window (the diff's `new_failures`) is triaged;
partial when some of that is missing; unmet with a schedule but no scheduled run in the window. A workload with
neither a schedule nor scheduled runs is not assessable (an attestation may stand in).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from rungway.evidence import CheckContext, CheckOutcome, CheckRequest, Verdict, evidence_check
from rungway.redteam import store
from rungway.redteam.model import diff_results
from rungway.redteam.schedule import schedules_of
from rungway.redteam.store import RunRecord, redteam_runs

__all__ = ["BASE_CATEGORIES", "check_basic_red_teaming", "check_structured_red_teaming"]

BASE_CATEGORIES = ("prompt-injection", "indirect-injection", "jailbreak", "system-prompt-extraction",
                   "pii-exfiltration", "harmful-content")  # fmt: skip
SHOWN = 10


def _runs(ctx: CheckContext, trigger: str | None = None) -> dict[str, list[RunRecord]]:
    """Each workload's runs up to now, newest first."""
    if not ctx.has_table("redteam_runs"):
        return {}
    c = redteam_runs.c
    query = select(redteam_runs).where(c.started_at < ctx.now, c.workload.in_([w.name for w in ctx.workloads]))
    if trigger is not None:
        query = query.where(c.trigger == trigger)
    out: dict[str, list[RunRecord]] = {}
    with ctx.engine.connect() as conn:
        for row in conn.execute(query.order_by(c.started_at.desc()).limit(10_000)):
            record = store.run_record(row)
            out.setdefault(record.workload, []).append(record)
    return out


@evidence_check("basic_red_teaming")
def check_basic_red_teaming(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """A run in the window, covering every base category of the corpus."""
    since = ctx.since(req.window_days)
    runs = _runs(ctx)
    out: dict[str, CheckOutcome] = {}
    for w in ctx.workloads:
        mine = runs.get(w.name, [])
        if not mine:
            reason = "no red-team run of this workload in Rungway (its `redteam run` command, docs/redteam.md)"
            out[w.name] = CheckOutcome(Verdict.NOT_ASSESSABLE, reason, {"runs": 0})
            continue
        recent = [r for r in mine if r.started_at >= since]
        evidence: dict[str, object] = {"runs_in_window": len(recent), "last_run": mine[0].id,
                                       "last_run_at": mine[0].started_at}  # fmt: skip
        if not recent:
            reason = f"the last red-team run is older than {req.window_days} days"
            out[w.name] = CheckOutcome(Verdict.UNMET, reason, evidence)
            continue
        covered = {c for r in recent for c in r.rates}
        missing = [c for c in BASE_CATEGORIES if c not in covered]
        evidence |= {"categories": sorted(covered), "missing_categories": missing, "rate": recent[0].rate}
        if missing:
            reason = f"{len(recent)} run(s) in the window, but not attacking {', '.join(missing)}"
            out[w.name] = CheckOutcome(Verdict.PARTIAL, reason, evidence)
        else:
            reason = f"{len(recent)} red-team run(s) in the window covering every base category"
            out[w.name] = CheckOutcome(Verdict.MET, reason, evidence)
    return out


def _untriaged(ctx: CheckContext, runs: list[RunRecord]) -> list[str]:
    """`run:attack` of the new failures of these runs that nobody triaged."""
    found: list[str] = []
    with ctx.engine.connect() as conn:
        triaged = store.read_triage(conn, [r.id for r in runs])
        for run in runs:
            previous = store.read_run(conn, run.previous_run_id) if run.previous_run_id else None
            before = store.read_results(conn, previous.id) if previous else []
            diff = diff_results(run.id, run.corpus_version, store.read_results(conn, run.id),
                                previous.id if previous else None, previous.corpus_version if previous else None,
                                before)  # fmt: skip
            found += [f"{run.id}:{a}" for a in diff.new_failures if (run.id, a) not in triaged]
    return found


@evidence_check("structured_red_teaming")
def check_structured_red_teaming(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Scheduled runs on a cadence, with history, and every regression triaged."""
    since = ctx.since(req.window_days)
    scheduled = _runs(ctx, "schedule")
    plans = schedules_of(ctx.engine) if ctx.has_table("redteam_schedules") else {}
    out: dict[str, CheckOutcome] = {}
    for w in ctx.workloads:
        mine, plan = scheduled.get(w.name, []), plans.get(w.name)
        if plan is None and not mine:
            reason = "no red-team schedule and no scheduled run for this workload"
            out[w.name] = CheckOutcome(Verdict.NOT_ASSESSABLE, reason, {"scheduled_runs": 0})
            continue
        recent = [r for r in mine if r.started_at >= since]
        evidence: dict[str, object] = {"scheduled": plan is not None, "scheduled_runs_in_window": len(recent)}
        if not recent:
            out[w.name] = CheckOutcome(Verdict.UNMET, f"no scheduled run in the last {req.window_days} days", evidence)
            continue
        problems = []
        if plan is None:
            problems.append("no schedule now")
        elif ctx.now - recent[0].started_at > 2 * plan[0].every_s:
            problems.append("the cadence lapsed (the newest scheduled run is older than twice the period)")
        if len(recent) < 2:
            problems.append("one scheduled run only: no history yet")
        untriaged = _untriaged(ctx, recent)
        evidence |= {"every_s": plan[0].every_s if plan else None, "untriaged_findings": len(untriaged),
                     "untriaged": untriaged[:SHOWN]}  # fmt: skip
        if untriaged:
            problems.append(f"{len(untriaged)} new failure(s) not triaged")
        if problems:
            out[w.name] = CheckOutcome(Verdict.PARTIAL, "; ".join(problems), evidence)
        else:
            reason = f"{len(recent)} scheduled runs in the window on cadence, every new failure triaged"
            out[w.name] = CheckOutcome(Verdict.MET, reason, evidence)
    return out
