"""The catalogue pages: the list (status, dates, successor, approval) and one model with its history.

A person does in the browser what `rungway models catalogue` does: read the catalogue, and as an
admin approve, deprecate, block or unblock a model with a comment and evidence. Reads come from the
server's in-memory view (as the gateway serves it) and the history from the store; a change goes
through the service `/api/models/catalogue` uses, with the same checks, and a refusal is its
message on a 4xx page. The form carries the session's CSRF token like every dashboard form.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import quote

from aiohttp import web

from rungway.api.registry import QueryParam
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.routes import STATE
from rungway.models.catalogue.entry import ModelStatus
from rungway.models.catalogue.service import ChangeRequest, describe, entry_history, record_change
from rungway.models.catalogue.store import ACTIONS, EVIDENCE_KINDS, Action
from rungway.models.catalogue.view import CATALOGUE, CatalogueView
from rungway.models.pages import pages
from rungway.store.keys import key_by_id
from rungway.web.render import current_session, redirect, render

__all__ = ["CATALOGUE_PAGE", "entry_url"]

CATALOGUE_PAGE = "/ui/models/catalogue"
FORM = {"action": 16, "comment": 2000, "evidence_kind": 16, "evidence_id": 128, "sunset": 10, "successor": 128}
TONES = {"approved": "ok", "preview": "info", "deprecated": "warn", "blocked": "bad"}


def entry_url(name: str) -> str:
    return f"{CATALOGUE_PAGE}/{quote(name, safe='')}"


def _view(request: web.Request) -> CatalogueView:
    view = request.app[STATE].slots.get(CATALOGUE)
    if view is None:
        raise NotFound("this server has no model catalogue")
    return view


@pages.page(
    CATALOGUE_PAGE,
    title="Model catalogue",
    nav="Models",
    order=38,
    params=[
        QueryParam("status", "only this status", enum=["", *(s.value for s in ModelStatus)]),
        QueryParam("provider", "only this provider", max_length=64),
    ],
)
async def catalogue_list(request: web.Request) -> web.StreamResponse:
    view = _view(request)
    admin = current_session(request).caller.role is Role.ADMIN
    status, provider = request.query.get("status", ""), request.query.get("provider", "")
    rows = [
        describe(view, e, admin)
        for e in sorted(view.entries(), key=lambda e: (e.provider, e.name))
        if (not status or e.status.value == status) and (not provider or e.provider == provider)
    ]
    return render(
        request,
        "models/catalogue.html",
        title="Model catalogue",
        rows=rows,
        as_of=view.as_of.isoformat(),
        query={"status": status, "provider": provider},
        statuses=[("", "Any"), *((s.value, s.value) for s in ModelStatus)],
        tones=TONES,
        url=entry_url,
    )


@pages.page(f"{CATALOGUE_PAGE}/{{name}}", title="Catalogue model")
async def catalogue_entry(request: web.Request) -> web.StreamResponse:
    view = _view(request)
    name = request.match_info["name"]
    entry = view.entry(name)
    if entry is None:
        raise NotFound(f"no model {name[:128]!r} in the catalogue", param="name")
    admin = current_session(request).caller.role is Role.ADMIN
    history = await asyncio.to_thread(entry_history, request.app[STATE].engine, name, admin)
    return render(
        request,
        "models/entry.html",
        title=name,
        entry=describe(view, entry, admin),
        history=history,
        admin=admin,
        tones=TONES,
        url=entry_url,
        actions=[(a, a) for a in ACTIONS],
        evidence_kinds=[("", "none"), *((k, k) for k in EVIDENCE_KINDS)],
    )


def _actor(request: web.Request) -> tuple[str, str | None]:
    caller = current_session(request).caller
    if caller.key_id is None:
        return "admin", None
    key = key_by_id(request.app[STATE].engine, caller.key_id)
    return (key.owner if key is not None and key.owner else caller.key_id), caller.key_id


def _fields(form: Mapping[str, Any]) -> dict[str, str]:
    """The form's fields, trimmed, each at most its length; an unknown field or a file is a 400."""
    values: dict[str, str] = {}
    unknown = sorted(set(form) - set(FORM) - {"csrf_token"})
    if unknown:
        raise InvalidRequest(f"unknown field {unknown[0]!r}", param=unknown[0])
    for field, longest in FORM.items():
        value = form.get(field, "")
        if not isinstance(value, str) or len(value) > longest:
            raise InvalidRequest(f"{field} must be text of at most {longest:,} characters", param=field)
        values[field] = value.strip()
    return values


@pages.page(f"{CATALOGUE_PAGE}/{{name}}", title="Change a catalogue model", method="POST", role=Role.ADMIN)
async def catalogue_change(request: web.Request) -> web.StreamResponse:
    view = _view(request)
    name = request.match_info["name"]
    v = _fields(await request.post())
    if v["action"] not in ACTIONS:
        raise InvalidRequest(f"action must be one of {', '.join(ACTIONS)}", param="action")
    action: Action = v["action"]  # type: ignore[assignment]
    try:
        sunset = date.fromisoformat(v["sunset"]) if v["sunset"] else None
    except ValueError:
        raise InvalidRequest("sunset must be a date, e.g. 2027-06-01", param="sunset") from None
    actor, key_id = await asyncio.to_thread(_actor, request)
    req = ChangeRequest(
        model=name,
        action=action,
        actor=actor,
        actor_key_id=key_id,
        comment=v["comment"],
        evidence_kind=v["evidence_kind"] or None,
        evidence_id=v["evidence_id"] or None,
        sunset_on=sunset,
        successor=v["successor"] or None,
    )
    await asyncio.to_thread(record_change, request.app[STATE].engine, view, req)
    await view.refresh()
    return redirect(entry_url(name))
