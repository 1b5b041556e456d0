"""The red-team pages: the runs list (with schedules and alerts), a run, and the triage form's action.

Reads and the triage go through `redteam.service`, the functions `/api/redteam` uses, in the caller's view: a
key that is not admin sees its own workload (asking for another is a 404 page); the admin sees every
workload's, or one with `?workload=`. A run of another workload is "not found", exactly like a missing one.
Transcripts are shown as text (escaped by the templates, never rendered as HTML).
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from aiohttp import web

from rungway.api.auth import Caller
from rungway.api.registry import QueryParam
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.routes import STATE
from rungway.redteam import service
from rungway.redteam.model import TRIAGE_STATUSES
from rungway.redteam.pages import pages
from rungway.redteam.schedule import schedules_of
from rungway.web.render import current_session, redirect, render

__all__ = ["RUNS_PAGE", "run_url", "view_of"]

RUNS_PAGE = "/ui/redteam"
_WORKLOAD = QueryParam("workload", "whose runs (admin; others see their own)", max_length=64)
_TRIAGE_FIELDS = {"status": 16, "note": 2000}


def view_of(caller: Caller, asked: str | None) -> str | None:
    """The workload this page reads (None: the admin's view of every workload)."""
    if caller.role is Role.ADMIN:
        return asked or caller.workload
    if asked and asked != caller.workload:
        raise NotFound(f"no red-team runs for this key in workload {asked!r}", param="workload")
    return caller.workload


def run_url(run_id: str, *rest: str) -> str:
    return "/".join((f"{RUNS_PAGE}/runs/{quote(run_id, safe='')}", *(quote(r, safe="") for r in rest)))


@pages.page(RUNS_PAGE, title="Red team", nav="Red team", order=45, params=[_WORKLOAD])
async def runs_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    view = view_of(caller, request.query.get("workload"))
    engine = request.app[STATE].engine

    def read() -> tuple[list[Any], list[dict[str, Any]], list[dict[str, Any]]]:
        runs = service.list_runs(engine, view, 100)
        found = schedules_of(engine)
        last = service.last_runs(engine, found)
        plans = [{"workload": w, "every_days": s.every_s / 86400, "categories": ", ".join(s.categories) or "all",
                  "prompt": s.prompt or s.model or "", "source": source, "last_run_at": last.get(w)}
                 for w, (s, source) in sorted(found.items()) if view is None or w == view]  # fmt: skip
        return runs, plans, service.alerts(engine, view, 20)

    runs, plans, alerts = await asyncio.to_thread(read)
    return render(request, "redteam/runs.html", title="Red team", runs=runs, schedules=plans, alerts=alerts,
                  url=run_url, query={"workload": request.query.get("workload", "")},
                  fixed_workload=None if caller.role is Role.ADMIN else caller.workload)  # fmt: skip


@pages.page(f"{RUNS_PAGE}/runs/{{id}}", title="Red-team run", params=[_WORKLOAD])
async def run_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    view = view_of(caller, request.query.get("workload"))
    engine, run_id = request.app[STATE].engine, request.match_info["id"]

    def read() -> tuple[Any, list[Any], dict[str, Any], Any, list[dict[str, Any]]]:
        record, results, triage = service.get_run(engine, view, run_id)
        alerts = [a for a in service.alerts(engine, record.workload, 100) if a["run_id"] == run_id]
        return record, results, triage, service.run_diff(engine, view, run_id), alerts

    record, results, triage, diff, alerts = await asyncio.to_thread(read)
    findings = [r for r in results if r.succeeded]
    errored = [r for r in results if r.error is not None]
    return render(request, "redteam/run.html", title="Red-team run", run=record, findings=findings,
                  errored=errored, triage=triage, diff=diff, alerts=alerts, url=run_url,
                  statuses=[(s, s) for s in TRIAGE_STATUSES],
                  can_triage=caller.role.allows(Role.DEVELOPER))  # fmt: skip


@pages.page(f"{RUNS_PAGE}/runs/{{id}}/findings/{{attack}}/triage", title="Triage a finding", method="POST",
            role=Role.DEVELOPER)  # fmt: skip
async def triage_form(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    form = await request.post()
    unknown = sorted(set(form) - set(_TRIAGE_FIELDS) - {"csrf_token"})
    if unknown:
        raise InvalidRequest(f"unknown field {unknown[0]!r}", param=unknown[0])
    values = {name: str(form.get(name, "")).strip() for name in _TRIAGE_FIELDS}
    for name, longest in _TRIAGE_FIELDS.items():
        if len(values[name]) > longest:
            raise InvalidRequest(f"{name} must be at most {longest} characters", param=name)
    if values["status"] not in TRIAGE_STATUSES:
        raise InvalidRequest(f"status must be one of {', '.join(TRIAGE_STATUSES)}", param="status")
    run_id, attack = request.match_info["id"], request.match_info["attack"]
    workload = None if caller.role is Role.ADMIN else caller.workload
    await asyncio.to_thread(service.triage, request.app[STATE].engine, workload, run_id, attack, values["status"],
                            values["note"], caller.key_id or "admin")  # fmt: skip
    return redirect(f"{run_url(run_id)}#finding-{quote(attack, safe='')}")
