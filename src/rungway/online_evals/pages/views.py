"""/ui/online-evals: each workload's online scorers with today's counts, spend against the cap and score means."""

from __future__ import annotations

import asyncio

from aiohttp import web

from rungway.api.registry import QueryParam
from rungway.gateway.routes import STATE
from rungway.online_evals.api import ONLINE, workload_of
from rungway.online_evals.config import ONLINE_EVALS_SECTION
from rungway.online_evals.pages import pages
from rungway.online_evals.service import workload_status
from rungway.web.render import current_session, render

__all__ = ["PAGE"]

PAGE = "/ui/online-evals"
_WORKLOAD = QueryParam("workload", "whose scorers (admin; others see their own)", max_length=64)


@pages.page(PAGE, title="Online evals", nav="Online evals", order=46, params=[_WORKLOAD])
async def online_evals_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    asked = request.query.get("workload") or None
    view = workload_of(caller, asked)
    state = request.app[STATE]
    runtime = state.slots.get(ONLINE)
    if runtime is not None:
        await runtime.book.refresh()
    config = state.config.section(ONLINE_EVALS_SECTION)
    found = await asyncio.to_thread(workload_status, state.engine, config, None if view is None else [view])
    return render(
        request,
        "online_evals/status.html",
        title="Online evals",
        workloads=found,
        query={"workload": asked or ""},
        fixed_workload=None if caller.key_id is None else caller.workload,
    )
