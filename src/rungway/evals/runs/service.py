"""The eval runs' use cases: start a run, add its results, finish it (the server computes the aggregates), read.

Scoping is the prompts' and datasets': a run belongs to one workload; a key that is not admin starts, writes
and reads only its own workload's runs, and another workload's run is "not found", exactly like a missing one.
Results are accepted only while the run is running; finishing folds the stored results (a page at a time)
into the aggregates, so a run of any size is summarised in constant memory. Each function is blocking;
async callers run it in a thread.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine

from rungway.domain.ids import new_id
from rungway.domain.keys import Role
from rungway.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from rungway.evals.datasets.service import get_version
from rungway.evals.runs.model import EvalRun, RunStatus, Trigger
from rungway.evals.runs.store import (
    NANO,
    get_run,
    insert_results,
    insert_run,
    set_run_finished,
    tally_results,
)
from rungway.evals.scorers.base import JsonValue
from rungway.evals.scores.model import MAX_COMMENT_CHARS, Score
from rungway.evals.scores.store import insert_scores

__all__ = ["RunCaller", "add_results", "finish_run", "readable_run", "start_run"]

MAX_RESULTS_PER_BATCH = 1000
SCORES_PER_INSERT = 1000


@dataclass(frozen=True, slots=True)
class RunCaller:
    """Who asks: the role, the key's workload (None for the admin key) and a name to record."""

    role: Role
    workload: str | None
    name: str | None
    key_id: str | None = None

    @property
    def admin(self) -> bool:
        return self.role is Role.ADMIN


def _workload_for(caller: RunCaller, asked: str | None) -> str:
    if caller.admin:
        asked = asked or caller.workload
        if not asked:
            raise InvalidRequest("workload is required with the admin key: name the workload the run is for",
                                 param="workload")  # fmt: skip
        return asked
    if caller.workload is None:
        raise PermissionDenied("this key belongs to no workload, so it cannot start eval runs")
    if asked and asked != caller.workload:
        raise PermissionDenied(
            f"this key is workload {caller.workload!r}'s and cannot start runs for {asked!r}. "
            "Fix: use a key of that workload"
        )
    return caller.workload


def start_run(engine: Engine, caller: RunCaller, body: Mapping[str, Any], now: float | None = None) -> EvalRun:
    """A new running run from a checked body (the API's schema bounds every field)."""
    parameters: dict[str, JsonValue] = dict(body.get("parameters") or {})
    run = EvalRun(
        id=new_id("run_"),
        workload=_workload_for(caller, body.get("workload")),
        dataset=str(body["dataset"]),
        dataset_version=str(body["dataset_version"]),
        prompt=body.get("prompt"),
        prompt_version=body.get("prompt_version"),
        model=body.get("model"),
        parameters=parameters,
        repeat=int(body.get("repeat") or 1),
        status=RunStatus.RUNNING,
        trigger=Trigger(body.get("trigger") or Trigger.API.value),
        started_at=time.time() if now is None else now,
        finished_at=None,
        git_commit=body.get("git_commit"),
        git_branch=body.get("git_branch"),
        aggregates=None,
        duration_s=None,
        created_by=caller.name,
    )
    if (run.prompt is None) != (run.prompt_version is None):
        raise InvalidRequest("prompt and prompt_version go together: give both or neither", param="prompt_version")
    if not run.dataset_version.isdigit() or len(run.dataset_version) > 9:
        raise InvalidRequest("dataset_version must be a version number, e.g. 3", param="dataset_version")
    get_version(engine, workload=run.workload, name=run.dataset, version=int(run.dataset_version))  # 404 if not seen
    insert_run(engine, run)
    return run


def readable_run(engine: Engine, caller: RunCaller, run_id: str) -> EvalRun:
    """The run if this caller may see it; one answer for absent and another workload's."""
    run = get_run(engine, run_id)
    if run is None or not (caller.admin or run.workload == caller.workload):
        raise NotFound(f"no eval run {run_id!r}; list them with GET /api/eval-runs", param="id")
    return run


def _writable(engine: Engine, caller: RunCaller, run_id: str) -> EvalRun:
    if caller.role is Role.VIEWER:
        raise PermissionDenied("a viewer key cannot write eval runs")
    run = readable_run(engine, caller, run_id)
    if run.status is not RunStatus.RUNNING:
        raise Conflict(f"eval run {run_id} is {run.status.value}; results are taken only while it runs")
    return run


def _row(run_id: str, result: Mapping[str, Any]) -> dict[str, Any]:
    cost = result.get("cost_usd")
    return {
        "run_id": run_id,
        "case_key": result["case_key"],
        "repeat": int(result.get("repeat") or 0),
        "output": result.get("output") or "",
        "passed": bool(result["passed"]),
        "score": float(result.get("score") or 0.0),
        "scores": orjson.dumps(result.get("scores") or []).decode(),
        "tool_calls": orjson.dumps(result.get("tool_calls") or []).decode(),
        "latency_ms": result.get("latency_ms"),
        "cost_nano": None if cost is None else round(float(cost) * NANO),
        "request_id": result.get("request_id"),
        "trace_id": result.get("trace_id"),
        "cached": bool(result.get("cached")),
        "error": result.get("error"),
    }


def add_results(engine: Engine, caller: RunCaller, run_id: str, results: Sequence[Mapping[str, Any]]) -> int:
    """Store a batch (a case x repeat already stored is kept as it was: a retried batch is harmless)."""
    run = _writable(engine, caller, run_id)
    if len(results) > MAX_RESULTS_PER_BATCH:
        raise InvalidRequest(f"at most {MAX_RESULTS_PER_BATCH} results a batch", param="results")
    for index, result in enumerate(results):
        if int(result.get("repeat") or 0) >= run.repeat:
            raise InvalidRequest(
                f"results.{index}.repeat: {result.get('repeat')} is past the run's repeat count {run.repeat}",
                param=f"results.{index}.repeat",
            )
    insert_results(engine, [_row(run.id, r) for r in results])
    scores = [s for r in results for s in _scores_of(run, caller, r)]
    for start in range(0, len(scores), SCORES_PER_INSERT):
        insert_scores(engine, scores[start : start + SCORES_PER_INSERT])
    return len(results)


def _scores_of(run: EvalRun, caller: RunCaller, result: Mapping[str, Any]) -> list[Score]:
    """Each assertion's judgement of a result as a score record (source `eval`), so scores of eval cases sit
    with annotations and feedback; ids are derived from the run, case, repeat and position, so a batch sent twice
    records each score once."""
    made = []
    now = time.time()
    for index, score in enumerate(result.get("scores") or ()):
        ident = f"{run.id}\x00{result['case_key']}\x00{result.get('repeat') or 0}\x00{index}"
        made.append(Score(
            id="ev_" + hashlib.sha256(ident.encode()).hexdigest()[:40],
            workload=run.workload,
            name=str(score["metric"]),
            data_type="numeric",
            value=float(score["value"]),
            string_value=None,
            source="eval",
            author=caller.name or "admin",
            created_at=now,
            trace_id=result.get("trace_id"),
            run_id=run.id,
            case_key=str(result["case_key"]),
            comment=str(score.get("explanation") or "")[:MAX_COMMENT_CHARS] or None,
            scorer=score.get("scorer") or None,
            scorer_version=score.get("version") or None,
            author_key_id=caller.key_id,
        ))  # fmt: skip
    return made


def finish_run(
    engine: Engine, caller: RunCaller, run_id: str, status: RunStatus, error: str | None, now: float | None = None
) -> EvalRun:
    """Mark the run finished (or failed, cancelled) with the aggregates of its stored results."""
    if status is RunStatus.RUNNING:
        raise InvalidRequest("status: a run is finished as finished, failed or cancelled", param="status")
    run = _writable(engine, caller, run_id)
    aggregates = tally_results(engine, run.id).aggregates()
    if not set_run_finished(engine, run.id, status, error, time.time() if now is None else now, aggregates):
        raise Conflict(f"eval run {run_id} was finished meanwhile")
    finished = get_run(engine, run.id)
    assert finished is not None
    return finished
