"""The red-team use cases the API, the scheduler and the dashboard share: store a run (with its diff from the
previous run and its alerts), read runs, diff, triage a finding, keep schedules.

Alerts: a run whose overall attack success rate is higher than the previous run's, or with a category that
fails (any successful attack) where the previous run had none, records an alert in `redteam_alerts` (kind
`rate_rose` or `new_category`), listed by `/api/redteam/alerts` and on the run's page.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from rungway.domain.ids import new_id
from rungway.errors import NotFound
from rungway.redteam import store
from rungway.redteam.model import AttackResult, RunDiff, diff_results, overall_rate, rates_of
from rungway.redteam.store import RunRecord

__all__ = ["RunInput", "alerts_for", "get_run", "list_runs", "record_run", "run_diff", "triage"]


@dataclass(frozen=True, slots=True)
class RunInput:
    """A finished run as a runner reports it."""

    corpus_version: str
    categories: tuple[str, ...]
    prompt: str | None
    model: str | None
    judge_model: str | None
    seed: int
    trigger: str
    started_at: float
    finished_at: float
    results: tuple[AttackResult, ...]


def alerts_for(run: RunRecord, previous: RunRecord | None) -> list[tuple[str, str]]:
    """(kind, message) for each reason to alert: the rate rose, or a category fails that did not before."""
    if previous is None:
        return []
    out: list[tuple[str, str]] = []
    if run.rate > previous.rate:
        out.append(("rate_rose", f"attack success rate rose from {previous.rate:.1%} to {run.rate:.1%}"))
    for category, now in run.rates.items():
        before = previous.rates.get(category)
        if now["succeeded"] and (before is None or not before["succeeded"]):
            out.append(("new_category", f"category {category} now fails: {now['succeeded']} of {now['attacks']}"))
    return out


def record_run(engine: Engine, workload: str, created_by: str | None, run: RunInput) -> tuple[RunRecord, RunDiff]:
    """Store the run and its results; compute its rates, its diff from the workload's previous run, its alerts."""
    rates = rates_of(run.results)
    graded = sum(r.attacks for r in rates.values())
    with engine.begin() as conn:
        record_id = new_id("rt_")
        previous = store.previous_run(conn, workload, run.started_at, record_id)
        record = RunRecord(
            record_id, workload, run.corpus_version, run.categories, run.prompt, run.model, run.judge_model,
            run.seed, run.trigger, run.started_at, run.finished_at, graded, sum(r.succeeded for r in rates.values()),
            sum(r.errors for r in rates.values()), overall_rate(run.results),
            {c: r.to_json() for c, r in rates.items()}, previous.id if previous else None, created_by,
        )  # fmt: skip
        store.insert_run(conn, record, run.results)
        before = store.read_results(conn, previous.id) if previous else []
        for kind, message in alerts_for(record, previous):
            store.insert_alert(conn, {"id": new_id("rta_"), "workload": workload, "run_id": record_id, "kind": kind,
                                      "message": message[:1000], "created_at": time.time()})  # fmt: skip
    diff = diff_results(record.id, record.corpus_version, run.results, record.previous_run_id,
                        previous.corpus_version if previous else None, before)  # fmt: skip
    return record, diff


def list_runs(engine: Engine, workload: str | None, limit: int = 50) -> list[RunRecord]:
    with engine.connect() as conn:
        return store.read_runs(conn, workload, limit)


def _scoped(record: RunRecord | None, workload: str | None, run_id: str) -> RunRecord:
    if record is None or (workload is not None and record.workload != workload):
        raise NotFound(f"no red-team run {run_id!r} in this workload", param="id")
    return record


def get_run(engine: Engine, workload: str | None, run_id: str) -> tuple[RunRecord, list[AttackResult], dict[str, Any]]:
    """The run, its results and the triage of its findings (attack id -> triage); another workload's is a 404."""
    with engine.connect() as conn:
        record = _scoped(store.read_run(conn, run_id), workload, run_id)
        results = store.read_results(conn, run_id)
        triaged = {attack: t for (_, attack), t in store.read_triage(conn, [run_id]).items()}
    return record, results, triaged


def run_diff(engine: Engine, workload: str | None, run_id: str) -> RunDiff:
    with engine.connect() as conn:
        record = _scoped(store.read_run(conn, run_id), workload, run_id)
        previous = store.read_run(conn, record.previous_run_id) if record.previous_run_id else None
        results = store.read_results(conn, run_id)
        before = store.read_results(conn, previous.id) if previous else []
    return diff_results(record.id, record.corpus_version, results, previous.id if previous else None,
                        previous.corpus_version if previous else None, before)  # fmt: skip


def triage(engine: Engine, workload: str | None, run_id: str, attack_id: str, status: str, note: str,
           by: str | None) -> dict[str, Any]:  # fmt: skip
    """Record how a finding (a successful attack of the run) was triaged; a defended attack is not a finding."""
    with engine.begin() as conn:
        record = _scoped(store.read_run(conn, run_id), workload, run_id)
        found = {r.attack_id: r for r in store.read_results(conn, run_id)}
        if attack_id not in found or not found[attack_id].succeeded:
            raise NotFound(f"no finding {attack_id!r} in run {run_id!r} (only successful attacks are findings)",
                           param="attack")  # fmt: skip
        values = {"run_id": run_id, "attack_id": attack_id, "workload": record.workload, "status": status,
                  "note": note, "triaged_at": time.time(), "triaged_by": by}  # fmt: skip
        store.upsert_triage(conn, values)
    return values


def alerts(engine: Engine, workload: str | None, limit: int = 100) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return store.read_alerts(conn, workload, limit)


def schedules(engine: Engine, workload: str | None) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return store.read_schedules(conn, workload)


def put_schedule(engine: Engine, workload: str, every_s: float, categories: Sequence[str], prompt: str | None,
                 model: str | None, by: str | None) -> dict[str, Any]:  # fmt: skip
    values = {"workload": workload, "every_s": every_s, "categories": list(categories), "prompt": prompt,
              "model": model, "created_at": time.time(), "created_by": by}  # fmt: skip
    with engine.begin() as conn:
        store.put_schedule(conn, values)
    return values


def delete_schedule(engine: Engine, workload: str) -> bool:
    with engine.begin() as conn:
        return store.delete_schedule(conn, workload)


def last_runs(engine: Engine, workloads: Mapping[str, Any]) -> dict[str, float]:
    """The start of each workload's newest scheduled run."""
    out: dict[str, float] = {}
    with engine.connect() as conn:
        for workload in workloads:
            found = store.read_runs(conn, workload, 1, trigger="schedule")
            if found:
                out[workload] = found[0].started_at
    return out
