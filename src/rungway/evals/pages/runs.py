"""The run pages: the list of eval runs and one run (aggregates, per-metric table, failing cases first).

Read with `list_runs` and `readable_run`/`read_results`, the functions `/api/eval-runs` uses, in the
caller's workload (the admin may name one, or read every workload's).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web

from rungway.api.auth import Caller
from rungway.api.registry import QueryParam
from rungway.domain.keys import Role
from rungway.evals.pages import pages
from rungway.evals.runs.model import RunStatus
from rungway.evals.runs.service import RunCaller, readable_run
from rungway.evals.runs.store import ResultRow, list_runs, read_results
from rungway.evals.scores.store import ScoreQuery, read_scores
from rungway.gateway.routes import STATE
from rungway.web.render import current_session, render

__all__ = ["RUNS_PAGE", "CaseRow", "case_rows", "run_caller"]

RUNS_PAGE = "/ui/evals/runs"
PAGE_SIZE = 50
CASES_SHOWN = 200
_LIST_PARAMS = [
    QueryParam("workload", "only this workload's runs (admin)", max_length=64),
    QueryParam("dataset", "only runs of this dataset", max_length=128),
    QueryParam("prompt", "only runs of this prompt", max_length=128),
    QueryParam("status", "only runs in this state", enum=[s.value for s in RunStatus]),
    QueryParam("before", "runs older than this run id (the next page)", max_length=40),
]


def run_caller(caller: Caller) -> RunCaller:
    """The API's view of a signed-in person, for the runs service's scope rule."""
    return RunCaller(caller.role, caller.workload, caller.key_id or "admin", caller.key_id)


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One result on the run page, with each assertion's (metric, passed, value, explanation)."""

    result: ResultRow
    checks: tuple[tuple[str, bool, float, str], ...]


def case_rows(results: list[ResultRow]) -> list[CaseRow]:
    """Results as rows: each assertion's metric, verdict, value and the scorer's explanation."""
    rows = []
    for r in results:
        checks = tuple(
            (
                str(s.get("metric", "")),
                bool(s.get("passed")),
                float(s.get("value") or 0.0),
                str(s.get("explanation", "")),
            )
            for s in r.scores
        )
        rows.append(CaseRow(r, checks))
    return rows


@pages.page(RUNS_PAGE, title="Eval runs", nav="Evals", order=40, params=_LIST_PARAMS)
async def run_list(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    q = request.query
    admin = caller.role is Role.ADMIN
    workload = (q.get("workload") or None) if admin else caller.workload
    runs = []
    if admin or not q.get("workload") or q["workload"] == caller.workload:
        runs = await asyncio.to_thread(
            list_runs, request.app[STATE].engine, workload=workload, dataset=q.get("dataset") or None,
            prompt=q.get("prompt") or None, status=q.get("status") or None, before=q.get("before") or None,
            limit=PAGE_SIZE,
        )  # fmt: skip
    query = {k: q.get(k, "") for k in ("workload", "dataset", "prompt", "status")}
    older = None
    if len(runs) == PAGE_SIZE:
        older = f"{RUNS_PAGE}?{urlencode({**{k: v for k, v in query.items() if v}, 'before': runs[-1].id})}"
    return render(
        request,
        "evals/runs.html",
        title="Eval runs",
        runs=runs,
        query=query,
        admin=admin,
        statuses=[("", "any")] + [(s.value, s.value) for s in RunStatus],
        older=older,
    )


@pages.page(f"{RUNS_PAGE}/{{id}}", title="Eval run")
async def run_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    engine = request.app[STATE].engine
    run = await asyncio.to_thread(readable_run, engine, run_caller(caller), request.match_info["id"])
    failed = await asyncio.to_thread(read_results, engine, run.id, limit=CASES_SHOWN, failed_only=True)
    everything = await asyncio.to_thread(read_results, engine, run.id, limit=CASES_SHOWN)
    passed = [r for r in everything if r.passed]
    query = ScoreQuery(workload=run.workload, run_id=run.id, source="annotation", limit=CASES_SHOWN)
    annotations = await asyncio.to_thread(read_scores, engine, query)
    return render(
        request,
        "evals/run.html",
        title=f"Eval run {run.id}",
        run=run,
        agg=run.aggregates,
        failing=case_rows(failed),
        passing=case_rows(passed),
        shown=CASES_SHOWN,
        annotations=annotations,
        can_annotate=caller.role.allows(Role.DEVELOPER),
    )
