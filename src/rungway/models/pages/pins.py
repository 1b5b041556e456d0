"""A workload's pins and planned upgrades in the dashboard: what `rungway models pins` and `upgrade` do.

`/ui/models/pins` lists the workload's pins (config seeds and pins set since), their history and the
upgrade reports; a developer sets or rolls back a pin, and applies a passing report, with the same
use cases as `/api/models/pins` and `/api/models/upgrades` (`PinService`, `apply_report`), the same
workload scope (another workload's report is a 404 page) and the same refusals (a failing report
is refused with the gate's reasons). `/ui/models/upgrades/{id}` shows one report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from rungway.api.auth import Caller
from rungway.api.registry import QueryParam
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.routes import STATE
from rungway.models.pages import pages
from rungway.models.pins.service import PINS
from rungway.models.upgrades.service import apply_report, readable_report
from rungway.models.upgrades.store import list_reports
from rungway.store.keys import key_by_id
from rungway.web.render import current_session, redirect, render

__all__ = ["PINS_PAGE", "page_scope"]

PINS_PAGE = "/ui/models/pins"
SHOWN = 50
_WORKLOAD = QueryParam("workload", "whose pins (admin; empty: every workload)", max_length=64)
PIN_FORM = {"alias": 128, "snapshot": 128, "reason": 1000, "workload": 64}
ROLLBACK_FORM = {"alias": 128, "workload": 64}


def page_scope(caller: Caller, asked: str | None) -> str | None:
    """The workload a page reads: the admin's choice (None: every workload), else the key's own; another
    workload is a 404 page, as for a record that does not exist."""
    if caller.role is Role.ADMIN:
        return asked or None
    if asked and asked != caller.workload:
        raise NotFound(f"No pins of workload {asked!r} that this key may see.")
    return caller.workload


def _fields(form: Mapping[str, Any], fields: dict[str, int]) -> dict[str, str]:
    values: dict[str, str] = {}
    keys = set(form.keys()) - set(fields) - {"csrf_token"}
    if keys:
        raise InvalidRequest(f"unknown field {sorted(keys)[0]!r}", param=sorted(keys)[0])
    for name, longest in fields.items():
        value = form.get(name, "")
        if not isinstance(value, str) or len(value) > longest:
            raise InvalidRequest(f"{name} must be text of at most {longest:,} characters", param=name)
        values[name] = value.strip()
    return values


def _target(caller: Caller, asked: str) -> str:
    """The workload a form writes to: the key's own, or the one the admin names."""
    if caller.role is Role.ADMIN:
        if not asked:
            raise InvalidRequest("name the workload whose pin moves", param="workload")
        return asked
    if caller.workload is None or (asked and asked != caller.workload):
        raise NotFound(f"No pins of workload {asked!r} that this key may see.")
    return caller.workload


async def _actor(request: web.Request, caller: Caller) -> str:
    if caller.key_id is None:
        return "admin"
    key = await asyncio.to_thread(key_by_id, request.app[STATE].engine, caller.key_id)
    return key.owner if key is not None and key.owner else caller.key_id


def _back(workload: str) -> web.Response:
    return redirect(f"{PINS_PAGE}?{urlencode({'workload': workload})}")


@pages.page(PINS_PAGE, title="Model pins", nav="Pins", order=60, params=[_WORKLOAD])
async def pins_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    view = page_scope(caller, request.query.get("workload"))
    service = request.app[STATE].slots[PINS]
    pins, changes, reports = await asyncio.gather(
        asyncio.to_thread(service.pins, view),
        asyncio.to_thread(service.history, view, None, SHOWN),
        asyncio.to_thread(list_reports, request.app[STATE].engine, view, SHOWN),
    )
    admin = caller.role is Role.ADMIN
    return render(
        request,
        "models/pins.html",
        title="Model pins",
        pins=pins,
        changes=changes,
        reports=reports,
        query={"workload": request.query.get("workload", "")},
        fixed_workload=None if admin else caller.workload,
        can_change=caller.role.allows(Role.DEVELOPER),
        admin=admin,
    )


@pages.page(f"{PINS_PAGE}/set", title="Set a pin", method="POST", role=Role.DEVELOPER)
async def set_pin_form(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    v = _fields(await request.post(), PIN_FORM)
    if not v["reason"]:
        raise InvalidRequest("say why the pin moves", param="reason")
    workload = _target(caller, v["workload"])
    actor = await _actor(request, caller)
    service = request.app[STATE].slots[PINS]
    await asyncio.to_thread(service.set_pin, workload, v["alias"], v["snapshot"], actor, v["reason"])
    return _back(workload)


@pages.page(f"{PINS_PAGE}/rollback", title="Roll back a pin", method="POST", role=Role.DEVELOPER)
async def rollback_form(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    v = _fields(await request.post(), ROLLBACK_FORM)
    workload = _target(caller, v["workload"])
    actor = await _actor(request, caller)
    service = request.app[STATE].slots[PINS]
    await asyncio.to_thread(service.rollback, workload, v["alias"], actor, "rollback from the dashboard")
    return _back(workload)


@pages.page("/ui/models/upgrades/{id}", title="Upgrade report")
async def report_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    view = page_scope(caller, None) if caller.role is not Role.ADMIN else None
    report = await asyncio.to_thread(readable_report, request.app[STATE].engine, view, request.match_info["id"][:40])
    return render(
        request,
        "models/report.html",
        title=f"Upgrade of {report.alias}",
        r=report,
        can_apply=caller.role.allows(Role.DEVELOPER) and report.passed and report.applied_at is None,
    )


@pages.page("/ui/models/upgrades/{id}/apply", title="Apply an upgrade", method="POST", role=Role.DEVELOPER)
async def apply_form(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    _fields(await request.post(), {})
    view = page_scope(caller, None) if caller.role is not Role.ADMIN else None
    actor = await _actor(request, caller)
    state = request.app[STATE]
    change = await asyncio.to_thread(
        apply_report, state.engine, state.slots[PINS], view, request.match_info["id"][:40], actor
    )
    return _back(change.workload)
