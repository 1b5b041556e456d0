"""/ui/audit: the records newest first (filtered, paged), the chain's verification over the last 7 days and the
legal holds, with forms to place and release one (admins; the guard checks the role and CSRF token first).

Reads go through what `/api/audit` and `rungway audit` use (`list_records`, `verify_store`, `list_holds`), with the
API's scope (`audit.api`): a non-admin key sees its own workload's records, refused ones without what they named.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from rungway.api.registry import QueryParam
from rungway.audit.api import attempt_only, record_dict
from rungway.audit.chain import ChainReport
from rungway.audit.holds_api import hold_actor
from rungway.audit.pages import pages
from rungway.audit.retention import ALL_WORKLOADS, Hold, hold_workload, list_holds, place_hold, release_hold
from rungway.audit.service import verify_store
from rungway.audit.signing import signer_from_env
from rungway.audit.store import first_seq_since, list_records
from rungway.domain.keys import Role
from rungway.domain.timespec import TimeSpecError, parse_instant
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.routes import STATE
from rungway.web.render import current_session, redirect, render

__all__ = ["AUDIT_PAGE", "PAGE_SIZE", "VERIFY_DAYS", "HoldForm", "hold_form"]

AUDIT_PAGE = "/ui/audit"
PAGE_SIZE = 50
VERIFY_DAYS = 7
SINCE = ("1d", "7d", "30d", "90d")
_PARAMS = [
    QueryParam("workload", "whose records (an admin; others see their own)", max_length=64),
    QueryParam("actor", "only this actor's records", max_length=256),
    QueryParam("action", "only this action (`*` matches any text)", max_length=256),
    QueryParam("since", "the last 1, 7, 30 or 90 days", enum=SINCE),
    QueryParam("before_seq", "older records: those before this seq", type="integer", minimum=1, maximum=2**62),
]


@dataclass(frozen=True, slots=True)
class HoldForm:
    """A checked hold form: the workload (or `*`) and, to place one, the reason."""

    workload: str
    reason: str


def hold_form(form: Mapping[str, Any], *, needs_reason: bool) -> HoldForm:
    """`workload` (1-64 characters, `*` for every record) and `reason` (1-500) from a form; nothing else accepted."""
    allowed = {"workload", "csrf_token", *(("reason",) if needs_reason else ())}
    unknown = sorted(set(form.keys()) - allowed)
    if unknown:
        raise InvalidRequest(f"unknown field {unknown[0]!r}", param=unknown[0])
    workload = form.get("workload", "")
    try:
        workload = hold_workload(workload if isinstance(workload, str) else "")
    except ValueError as exc:
        raise InvalidRequest(str(exc), param="workload") from None
    reason = form.get("reason", "") if needs_reason else ""
    if needs_reason and (not isinstance(reason, str) or not reason.strip() or len(reason) > 500):
        raise InvalidRequest("reason: why the hold is placed (a matter, a ticket), 1 to 500 characters", param="reason")
    return HoldForm(workload, str(reason).strip())


@pages.page(AUDIT_PAGE, title="Audit", nav="Audit", order=60, params=_PARAMS)
async def audit_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    admin = caller.role is Role.ADMIN
    q = request.query
    workload = (q.get("workload") or None) if admin else caller.workload
    since = q.get("since") or "30d"
    try:
        since_ts = parse_instant(since, time.time())
    except TimeSpecError as exc:
        raise InvalidRequest(str(exc), param="since") from None
    before = q.get("before_seq")
    state = request.app[STATE]

    def read() -> tuple[list[dict[str, Any]], ChainReport | None, list[Hold]]:
        found = list_records(state.engine, workload=workload, actor=q.get("actor") or None,
                             action=q.get("action") or None, since_ts=since_ts,
                             before_seq=int(before) if before else None, limit=PAGE_SIZE)  # fmt: skip
        rows = [record_dict(r) if admin else attempt_only(record_dict(r)) for r in found]
        if not admin:
            return rows, None, []
        start = first_seq_since(state.engine, time.time() - VERIFY_DAYS * 86_400)
        signer = signer_from_env()
        report = verify_store(state.engine, start, None if signer is None else signer.public_raw)
        return rows, report, list_holds(state.engine)

    rows, report, holds = await asyncio.to_thread(read)
    query = {"workload": q.get("workload") or "", "actor": q.get("actor") or "", "action": q.get("action") or "",
             "since": since}  # fmt: skip
    older = None
    if len(rows) == PAGE_SIZE:
        older = f"{AUDIT_PAGE}?{urlencode({**{k: v for k, v in query.items() if v}, 'before_seq': rows[-1]['seq']})}"
    return render(request, "audit/audit.html", title="Audit", rows=rows, report=report, holds=holds, admin=admin,
                  query=query, fixed_workload=None if admin else caller.workload, older=older,
                  since_options=[(s, f"last {s[:-1]} day" + ("" if s == "1d" else "s")) for s in SINCE],
                  verify_days=VERIFY_DAYS, every=ALL_WORKLOADS)  # fmt: skip


@pages.page(f"{AUDIT_PAGE}/holds", title="Place a legal hold", method="POST", role=Role.ADMIN)
async def place_hold_form(request: web.Request) -> web.StreamResponse:
    form = hold_form(await request.post(), needs_reason=True)
    actor = hold_actor(current_session(request).caller)
    await asyncio.to_thread(place_hold, request.app[STATE].engine, form.workload, form.reason, actor, time.time())
    return redirect(f"{AUDIT_PAGE}#holds")


@pages.page(f"{AUDIT_PAGE}/holds/release", title="Release a legal hold", method="POST", role=Role.ADMIN)
async def release_hold_form(request: web.Request) -> web.StreamResponse:
    form = hold_form(await request.post(), needs_reason=False)
    if await asyncio.to_thread(release_hold, request.app[STATE].engine, form.workload) is None:
        raise NotFound(f"no legal hold on {form.workload!r}", param="workload")
    return redirect(f"{AUDIT_PAGE}#holds")
