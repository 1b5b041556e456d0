"""The overview's eval panel: each visible workload's latest run (pass rate, interval, status), linked.

One read of the newest runs in the caller's view (`list_runs`, as `GET /api/eval-runs`), then the latest per
workload the overview shows.
"""

from __future__ import annotations

import asyncio

from markupsafe import Markup

from rungway.domain.keys import Role
from rungway.evals.pages import pages
from rungway.evals.runs.model import EvalRun
from rungway.evals.runs.store import list_runs
from rungway.gateway.routes import STATE
from rungway.web.pages import PanelContext
from rungway.web.render import render_fragment

__all__ = ["latest_per_workload"]

RUNS_READ = 200


def latest_per_workload(runs: list[EvalRun], workloads: list[str], every: bool) -> list[EvalRun]:
    """The newest run of each workload in `workloads` (runs come newest first), in the workloads' order;
    with `every` (the admin's view) also those of workloads the overview does not list, by name."""
    latest: dict[str, EvalRun] = {}
    for run in runs:
        latest.setdefault(run.workload, run)
    extra = sorted(set(latest) - set(workloads)) if every else []
    return [latest[w] for w in [*workloads, *extra] if w in latest]


@pages.panel("Latest eval runs", order=45)
async def panel(ctx: PanelContext) -> Markup:
    admin = ctx.caller.role is Role.ADMIN
    view = None if admin else ctx.caller.workload
    runs = await asyncio.to_thread(list_runs, ctx.request.app[STATE].engine, workload=view, limit=RUNS_READ)
    shown = latest_per_workload(runs, list(ctx.workloads), every=admin)
    return render_fragment(ctx.request, "evals/panel.html", runs=shown)
