"""The compare page: run B against run A, case by case, with the paired tests' verdicts per metric.

The same comparison as `GET /api/eval-runs/compare` and `rungway eval compare` (`compare_records` over
`load_records`), for two runs the caller may read and of one dataset; another workload's run is a 404.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy import Engine

from rungway.api.auth import Caller
from rungway.api.registry import QueryParam
from rungway.errors import InvalidRequest
from rungway.evals.gates.api import RUN_ID, load_records
from rungway.evals.gates.compare import Comparison, compare_records
from rungway.evals.pages import pages
from rungway.evals.pages.runs import RUNS_PAGE, run_caller
from rungway.evals.runs.model import EvalRun
from rungway.evals.runs.service import readable_run
from rungway.gateway.routes import STATE
from rungway.web.render import current_session, render

__all__ = ["COMPARE_PAGE", "compared"]

COMPARE_PAGE = f"{RUNS_PAGE}-compare"
_PARAMS = [
    QueryParam("a", "the baseline run's id", required=True, max_length=40, pattern=RUN_ID),
    QueryParam("b", "the candidate run's id", required=True, max_length=40, pattern=RUN_ID),
]


def compared(engine: Engine, caller: Caller, a: str, b: str) -> tuple[EvalRun, EvalRun, Comparison]:
    """Both runs (each readable by the caller, one dataset) and B's comparison with A."""
    scope = run_caller(caller)
    run_a, run_b = readable_run(engine, scope, a), readable_run(engine, scope, b)
    if run_a.dataset != run_b.dataset:
        raise InvalidRequest(
            f"runs {a} and {b} are of different datasets ({run_a.dataset}, {run_b.dataset}); "
            "compare two runs of the same dataset",
            param="b",
        )
    return run_a, run_b, compare_records(load_records(engine, a), load_records(engine, b))


@pages.page(COMPARE_PAGE, title="Compare eval runs", params=_PARAMS)
async def compare_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    run_a, run_b, comparison = await asyncio.to_thread(
        compared, request.app[STATE].engine, caller, request.query["a"], request.query["b"]
    )
    return render(request, "evals/compare.html", title=f"{run_b.id} against {run_a.id}", a=run_a, b=run_b, c=comparison)
