"""Evaluation's evidence for the maturity assessment: tests before production changes, a curated eval set, and
an eval run on every prompt change.

Each check reads records by SQL: the evals capability's own (`eval_runs`, datasets) and the prompt library's
label moves (`prompt_label_moves`, by table name, never its modules). A "production change" is a move of a
protected label of one of the workload's prompts (shared prompts' moves belong to no workload).
- `pre_deployment_tests`: each production change in the window had a finished eval run of that exact prompt
  version before it (any result: the run was made, a gate may judge it).
- `curated_eval_set`: a finished run in the window used a dataset version of at least `MIN_CASES` cases and was
  scored automatically (at least one assertion metric); partial when runs in the window used none such; unmet
  when the workload has datasets but no run in the window; not assessable with no datasets and no runs (a team
  that evaluates elsewhere imports its promptfoo eval).
- `eval_on_prompt_change`: each prompt version that reached a protected label in the window had a passing run of
  that exact version first: on every dataset bound to the prompt, meeting the binding's requirement (a prompt
  with no binding: any finished run with `pass_rate>=1`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection, column, select, table

from rungway.evals.bindings.model import Requirement
from rungway.evals.bindings.service import DEFAULT_REQUIREMENT
from rungway.evals.bindings.store import read_bindings
from rungway.evals.datasets.store import eval_dataset_versions, eval_datasets
from rungway.evals.runs.store import eval_runs
from rungway.evidence import CheckContext, CheckOutcome, CheckRequest, Verdict, evidence_check, ratio_verdict

__all__ = ["MIN_CASES", "check_curated_eval_set", "check_eval_on_prompt_change", "check_pre_deployment_tests"]

MIN_CASES = 20  # a curated set: at least this many cases in the version a run used
SHOWN = 20
_moves = table(
    "prompt_label_moves",
    column("scope"),
    column("name"),
    column("label"),
    column("to_version"),
    column("moved_at"),
    column("protected"),
)


@dataclass(frozen=True, slots=True)
class _Run:
    id: str
    dataset: str
    dataset_version: str
    prompt: str | None
    prompt_version: int | None
    started_at: float
    finished_at: float
    pass_rate: float | None
    pass_rate_low: float | None
    metrics: int


@dataclass(frozen=True, slots=True)
class _Move:
    name: str
    label: str
    version: int
    moved_at: float

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


def _runs(conn: Connection, workload: str, until: float) -> list[_Run]:
    """The workload's finished runs that ended before `until`, oldest first."""
    c = eval_runs.c
    rows = conn.execute(
        select(
            c.id,
            c.dataset,
            c.dataset_version,
            c.prompt,
            c.prompt_version,
            c.started_at,
            c.finished_at,
            c.pass_rate,
            c.pass_rate_low,
            c.metrics,
        )
        .where(c.workload == workload, c.status == "finished", c.finished_at < until)
        .order_by(c.finished_at)
    ).all()
    return [
        _Run(r[0], r[1], r[2], r[3], r[4], float(r[5]), float(r[6]), r[7], r[8], len(orjson.loads(r[9] or "[]")))
        for r in rows
    ]


def _moves_of(ctx: CheckContext, conn: Connection, workload: str, since: float) -> list[_Move]:
    if not ctx.has_table("prompt_label_moves"):
        return []
    m = _moves.c
    rows = conn.execute(
        select(m.name, m.label, m.to_version, m.moved_at)
        .where(m.scope == workload, m.protected == True, m.moved_at >= since, m.moved_at < ctx.now)  # noqa: E712
        .order_by(m.moved_at)
    ).all()
    return [_Move(r[0], r[1], int(r[2]), float(r[3])) for r in rows]


def _tested(move: _Move, runs: list[_Run]) -> bool:
    return any(
        r.prompt == move.name and r.prompt_version == move.version and r.finished_at <= move.moved_at for r in runs
    )


def _covered_outcome(moves: list[_Move], covered: list[_Move], threshold: float, what: str) -> CheckOutcome:
    missing = [m for m in moves if m not in covered]
    evidence: dict[str, object] = {
        "protected_moves": len(moves),
        "covered": len(covered),
        "not_covered": [f"{m.ref} -> {m.label}" for m in missing[:SHOWN]],
    }
    verdict = ratio_verdict(len(covered), len(moves), threshold)
    reason = f"{len(covered)} of {len(moves)} protected label moves in the window {what}"
    return CheckOutcome(verdict, reason, evidence)


NO_MOVES = "no protected label of the workload's prompts moved in the window: no production change to evidence"


@evidence_check("pre_deployment_tests")
def check_pre_deployment_tests(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Each production change (protected label move) in the window had a finished eval run of that version first."""
    threshold = req.threshold if req.threshold is not None else 1.0
    out: dict[str, CheckOutcome] = {}
    with ctx.engine.connect() as conn:
        for w in ctx.workloads:
            moves = _moves_of(ctx, conn, w.name, ctx.since(req.window_days))
            if not moves:
                out[w.name] = CheckOutcome(Verdict.NOT_ASSESSABLE, NO_MOVES, {"protected_moves": 0})
                continue
            runs = _runs(conn, w.name, ctx.now)
            covered = [m for m in moves if _tested(m, runs)]
            out[w.name] = _covered_outcome(moves, covered, threshold, "had a finished eval run of that version first")
    return out


def _passing(conn: Connection, workload: str, move: _Move, runs: list[_Run]) -> bool:
    before = [
        r for r in runs if r.prompt == move.name and r.prompt_version == move.version and r.finished_at <= move.moved_at
    ]
    bound = read_bindings(conn, workload, move.name)
    if not bound:
        need = Requirement.parse(DEFAULT_REQUIREMENT)
        return any(need.met_by(r.pass_rate, r.pass_rate_low) for r in before)
    return all(
        any(
            r.dataset == b.dataset and Requirement.parse(b.requirement).met_by(r.pass_rate, r.pass_rate_low)
            for r in before
        )
        for b in bound
    )


@evidence_check("eval_on_prompt_change")
def check_eval_on_prompt_change(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Each version that reached a protected label in the window had a passing run of that version first."""
    threshold = req.threshold if req.threshold is not None else 1.0
    out: dict[str, CheckOutcome] = {}
    with ctx.engine.connect() as conn:
        for w in ctx.workloads:
            moves = _moves_of(ctx, conn, w.name, ctx.since(req.window_days))
            if not moves:
                out[w.name] = CheckOutcome(Verdict.NOT_ASSESSABLE, NO_MOVES, {"protected_moves": 0})
                continue
            runs = _runs(conn, w.name, ctx.now)
            covered = [m for m in moves if _passing(conn, w.name, m, runs)]
            out[w.name] = _covered_outcome(moves, covered, threshold, "had a passing eval run of that version first")
    return out


def _case_counts(conn: Connection, workload: str) -> dict[tuple[str, str], int]:
    """(dataset name, version) -> cases, for the datasets the workload sees (its own and shared ones)."""
    d, v = eval_datasets.c, eval_dataset_versions.c
    rows = conn.execute(
        select(d.name, v.version, v.case_count, d.scope)
        .select_from(eval_dataset_versions.join(eval_datasets, v.dataset_id == d.id))
        .where(d.scope.in_([workload, ""]))
    ).all()
    counts: dict[tuple[str, str], int] = {}
    for name, version, cases, _scope in sorted(rows, key=lambda r: r[3] == workload):  # own ones win
        counts[(name, str(version))] = int(cases)
    return counts


@evidence_check("curated_eval_set")
def check_curated_eval_set(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """A finished run in the window on a dataset version of at least MIN_CASES cases, scored automatically."""
    since = ctx.since(req.window_days)
    out: dict[str, CheckOutcome] = {}
    with ctx.engine.connect() as conn:
        for w in ctx.workloads:
            counts = _case_counts(conn, w.name)
            runs = [r for r in _runs(conn, w.name, ctx.now) if r.started_at >= since]
            good = [r for r in runs if counts.get((r.dataset, r.dataset_version), 0) >= MIN_CASES and r.metrics]
            largest = max(counts.values(), default=0)
            evidence: dict[str, object] = {
                "runs_in_window": len(runs),
                "datasets_seen": len({name for name, _ in counts}),
                "largest_version_cases": largest,
                "min_cases": MIN_CASES,
                "qualifying_runs": [f"{r.id} ({r.dataset}@{r.dataset_version})" for r in good[-SHOWN:]],
            }
            if good:
                used = sorted({f"{r.dataset}@{r.dataset_version}" for r in good})
                reason = f"{len(good)} scored run(s) in the window on a set of >= {MIN_CASES} cases: {', '.join(used)}"
                out[w.name] = CheckOutcome(Verdict.MET, reason, evidence)
            elif runs:
                reason = (
                    f"{len(runs)} eval run(s) in the window, none on a dataset version of >= {MIN_CASES} cases "
                    f"with automated scorers (largest version: {largest} cases)"
                )
                out[w.name] = CheckOutcome(Verdict.PARTIAL, reason, evidence)
            elif counts:
                reason = (
                    f"the workload has eval datasets but no finished eval run in the window used one: run it "
                    f"with the Rungway CLI's `eval run --workload {w.name} --dataset NAME` against a running server"
                )
                out[w.name] = CheckOutcome(Verdict.UNMET, reason, evidence)
            else:
                reason = (
                    "no eval dataset and no eval run in Rungway: create one with the Rungway CLI's `datasets import`, "
                    "or import a promptfoo eval of your curated set"
                )
                out[w.name] = CheckOutcome(Verdict.NOT_ASSESSABLE, reason, evidence)
    return out
