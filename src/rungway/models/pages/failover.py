"""Failover pages: `/ui/models/failover` (deployment health with breaker states, incidents, drills and a
drill form for the admin) and `/ui/models/incidents/{id}` (one incident and its affected workloads).

Read with the functions `/api/models/health`, `/api/incidents` and `/api/drills` use, scoped the same
way: a workload's key sees the incidents that affected it (only its own line in each), the admin all;
drills are the admin's. Starting a drill from the form is `POST /api/drills`'s use case.
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.routes import STATE
from rungway.models.drills.api import drill_json
from rungway.models.drills.runner import DrillRequest
from rungway.models.drills.store import list_drills
from rungway.models.health.api import health_json
from rungway.models.health.runtime import DRILLS, HEALTH
from rungway.models.incidents.api import incident_json
from rungway.models.incidents.store import list_incidents, read_incident, workload_view
from rungway.models.pages import pages
from rungway.web.render import current_session, redirect, render

__all__ = ["FAILOVER_PAGE", "STATE_TONES"]

FAILOVER_PAGE = "/ui/models/failover"
STATE_TONES = {"closed": "ok", "half-open": "warn", "open": "bad"}
_DRILL_FORM = {"deployment": 128, "duration_s": 16, "error_rate": 16, "latency_s": 16, "csrf_token": 200}


def _scope(role: Role, workload: str | None) -> str | None:
    return None if role is Role.ADMIN else (workload or "")


@pages.page(FAILOVER_PAGE, title="Failover", nav="Failover", order=60)
async def failover_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    state = request.app[STATE]
    book = state.slots.get(HEALTH)
    health = [health_json(r) for r in book.snapshot(_scope(caller.role, caller.workload))] if book is not None else []
    since = time.time() - 90 * 86400
    incidents = await asyncio.to_thread(list_incidents, state.engine, _scope(caller.role, caller.workload), since, 50)
    admin = caller.role is Role.ADMIN
    drills = []
    runner = state.slots.get(DRILLS)
    if admin and runner is not None:
        drills = [drill_json(runner.live(r)) for r in await asyncio.to_thread(list_drills, state.engine, 50)]
    return render(
        request,
        "models/failover.html",
        title="Failover",
        health=health,
        tones=STATE_TONES,
        incidents=[incident_json(r) for r in incidents],
        drills=drills,
        admin=admin,
        deployments=sorted(runner.deployments()) if admin and runner is not None else [],
    )


@pages.page("/ui/models/incidents/{id}", title="Incident")
async def incident_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    incident_id = request.match_info["id"][:40]
    workload = _scope(caller.role, caller.workload)
    row = await asyncio.to_thread(read_incident, request.app[STATE].engine, incident_id, workload)
    if row is None:
        raise NotFound(f"no incident {incident_id!r}", code="incident_not_found")
    return render(
        request, "models/incident.html", title=f"Incident {row.id}", i=incident_json(workload_view(row, workload))
    )


def _number(value: str, name: str, default: float) -> float:
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        raise InvalidRequest(f"{name} must be a number", param=name) from None


@pages.page(f"{FAILOVER_PAGE}/drills", title="Start a drill", method="POST", role=Role.ADMIN)
async def drill_form(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    unknown = sorted(set(form) - set(_DRILL_FORM))
    if unknown:
        raise InvalidRequest(f"unknown field {unknown[0]!r}", param=unknown[0])
    values = {k: str(form.get(k, "")).strip()[:n] for k, n in _DRILL_FORM.items()}
    latency = _number(values["latency_s"], "latency_s", 0.0)
    drill = DrillRequest(
        deployment=values["deployment"],
        duration_s=_number(values["duration_s"], "duration_s", 60.0),
        error_rate=_number(values["error_rate"], "error_rate", 0.0 if latency else 1.0),
        latency_s=latency,
    )
    runner = request.app[STATE].slots.get(DRILLS)
    if runner is None:
        raise NotFound("drills are not running on this server")
    await runner.start(drill, "dashboard")
    return redirect(FAILOVER_PAGE + "#drills")
