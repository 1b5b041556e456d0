"""The Cost and budgets page: spend broken down by workload, user, model, team or tag with a daily series,
and the budgets with their state this period (spent, held by calls in flight, blocks) and their events.

Spend is `cost_report`'s figures read the fast way (`breakdown.py`); budgets and events are read with the
functions `/api/budgets` and `/api/budget-events` use (`list_budgets` scoped by `visible_budgets`,
`live_status`, `list_events`), with the same workload rule.
Changes go through `set_budget` and `delete_budget` as `PUT`/`DELETE /api/budgets` do, then refresh the
gateway's budget book so the new limit holds at once. An admin may set any budget; a developer only a
workload or user budget of their own workload (a team budget spans other workloads, a key budget is
an admin's call).
"""

from __future__ import annotations

import asyncio
import datetime
import time
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup

from rungway.api.auth import Caller
from rungway.api.registry import QueryParam
from rungway.budgets.cost import COST_BY, CostReport
from rungway.budgets.model import DEFAULT_THRESHOLDS, Budget, BudgetScope
from rungway.budgets.pages import pages
from rungway.budgets.pages.breakdown import budget_states, cost_breakdown
from rungway.budgets.service import BudgetRequest, event_dict, set_budget, visible_budgets
from rungway.budgets.steps import BUDGETS
from rungway.budgets.store import delete_budget, get_budget, list_budgets, list_events
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, NotFound, PermissionDenied
from rungway.gateway.routes import STATE
from rungway.gateway.state import GatewayState
from rungway.services.logs import parse_time
from rungway.web.charts import Series, line_chart
from rungway.web.guard import note_page_read, scoped_workload
from rungway.web.render import current_session, redirect, render

__all__ = ["COST_PAGE", "budget_form", "may_change"]

COST_PAGE = "/ui/cost"
DEFAULT_SINCE = "7d"  # the report's window unless asked: a 30-day breakdown by user reads a month of calls
EVENTS_SHOWN = 50
_PERIODS = ("monthly", "weekly", "daily", "fixed")
_SCOPES = tuple(s.value for s in BudgetScope)
# Each form field and its longest value (the bounds of PUT /api/budgets' body).
_FORM_FIELDS = {
    "name": 128,
    "scope": 16,
    "amount_usd": 32,
    "period": 16,
    "workload": 64,
    "user": 256,
    "team": 128,
    "key_id": 40,
    "starts_at": 64,
    "ends_at": 64,
    "thresholds": 128,
    "hard": 8,
    "each_user": 8,
    "webhook_url": 2048,
}
PARAMS = [
    QueryParam("by", "the dimension to group by (default workload)", enum=COST_BY),
    QueryParam("tag", "with by=tag: the tag key to group by", max_length=64),
    QueryParam("since", f"7d, an ISO date or epoch seconds (default {DEFAULT_SINCE})", type="time"),
    QueryParam("until", "an ISO date or epoch seconds", type="time"),
    QueryParam("workload", "only this workload", max_length=64),
    QueryParam("edit", "a budget to fill the form with", max_length=128),
]


def may_change(caller: Caller, scope: str, workload: str | None) -> bool:
    """Whether this caller may set or delete a budget of this scope on this workload.

    Exactly as `PUT`/`DELETE /api/budgets` enforce: budgets are the platform team's guardrail on a
    workload's spend, so only the admin sets or removes them; a workload's own keys see them."""
    del scope, workload  # the same answer for every budget, as on the API
    return caller.role is Role.ADMIN


def _field(form: Any, name: str) -> str:
    value = form.get(name, "")
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} must be text", param=name)
    value = value.strip()
    if len(value) > _FORM_FIELDS[name]:
        raise InvalidRequest(f"{name} is longer than {_FORM_FIELDS[name]} characters", param=name)
    return value


def _thresholds(text: str) -> tuple[int, ...]:
    if not text:
        return DEFAULT_THRESHOLDS
    try:
        values = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise InvalidRequest(
            f"thresholds {text!r}: write whole percentages, e.g. 50,80,100", param="thresholds"
        ) from None
    if not values or len(values) > 20:
        raise InvalidRequest("thresholds: give 1 to 20 percentages, e.g. 50,80,100", param="thresholds")
    return values


def budget_form(form: Any, now: float) -> BudgetRequest:
    """The set-budget form as a `BudgetRequest` (each field bounded); `set_budget` checks the rest."""
    unknown = sorted(set(form) - set(_FORM_FIELDS) - {"csrf_token"})
    if unknown:
        raise InvalidRequest(f"unknown field {unknown[0]!r}", param=unknown[0])
    v = {name: _field(form, name) for name in _FORM_FIELDS}
    scope = v["scope"] or BudgetScope.WORKLOAD.value
    return BudgetRequest(
        name=v["name"],
        scope=scope,
        amount_usd=v["amount_usd"],
        period=v["period"] or "monthly",
        workload=v["workload"] or None,
        user=v["user"] or None,
        team=v["team"] or None,
        key_id=v["key_id"] or None,
        starts_at=parse_time(v["starts_at"], now, "starts_at") if v["starts_at"] else None,
        ends_at=parse_time(v["ends_at"], now, "ends_at") if v["ends_at"] else None,
        thresholds=_thresholds(v["thresholds"]),
        hard=v["hard"] in ("on", "true", "1", "yes"),
        each_user=v["each_user"] in ("on", "true", "1", "yes"),
        webhook_url=v["webhook_url"] or None,
    )


async def _readable(state: GatewayState, caller: Caller) -> list[Budget]:
    """The budgets this caller may read, exactly as `GET /api/budgets` scopes them."""
    budgets = await asyncio.to_thread(list_budgets, state.engine)
    if caller.role is Role.ADMIN:
        return budgets
    return await asyncio.to_thread(visible_budgets, state.engine, budgets, caller.workload)


def _day_epoch(day: str) -> float:
    return datetime.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=datetime.UTC).timestamp()


def _usd_axis(value: float) -> str:
    return f"${value:,.2f}" if value >= 1 or value == 0 else f"${value:.2g}"


def _daily_chart(report: CostReport) -> Markup:
    points = [(_day_epoch(str(d.key)), d.cost_nano / 1e9) for d in report.daily]
    return line_chart([Series("cost", points)], label="Cost per UTC day (USD)", y_format=_usd_axis)


@pages.page(COST_PAGE, title="Cost and budgets", nav="Cost", order=30, params=PARAMS)
async def cost_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    state = request.app[STATE]
    q = request.query
    workload = scoped_workload(caller, q.get("workload"))
    by = q.get("by") or "workload"
    since = q.get("since") or DEFAULT_SINCE
    breakdown = await asyncio.to_thread(
        cost_breakdown, state.engine, by, since, q.get("until") or None, q.get("tag") or None, workload
    )
    report = breakdown.report
    note_page_read(request, "cost_report", workload)
    budgets = await _readable(state, caller)
    for name in sorted({b.workload for b in budgets if b.workload}):
        note_page_read(request, "budget_status", name)  # as GET /api/budgets: the budgets were looked at
    statuses = await budget_states(state, budgets)
    for status in statuses:
        status["changeable"] = may_change(caller, status["scope"], status["workload"])
    ids = None if caller.role is Role.ADMIN else [b.id for b in budgets]
    names = {b.id: b.name for b in budgets}
    events = await asyncio.to_thread(list_events, state.engine, None, None, None, EVENTS_SHOWN, ids)
    editing = next((s for s in statuses if s["name"] == q.get("edit") and s["changeable"]), None)
    return render(
        request,
        "budgets/cost.html",
        title="Cost and budgets",
        report=report,
        tokens_known=breakdown.tokens_known,
        chart=_daily_chart(report) if len(report.daily) >= 2 else None,
        query={"by": by, "tag": q.get("tag", ""), "since": since, "until": q.get("until", ""), "workload": workload},
        by_options=[(name, name.replace("_", " ")) for name in COST_BY],
        fixed_workload=None if caller.role is Role.ADMIN else caller.workload,
        budgets=statuses,
        events=[{**event_dict(e), "budget": names.get(e.budget_id, f"{e.budget_id} (deleted)")} for e in events],
        can_set=caller.role is Role.ADMIN,
        scope_pairs=[(s, s) for s in (_SCOPES if caller.role is Role.ADMIN else ("workload", "user"))],
        period_pairs=[(p, p) for p in _PERIODS],
        form=_form_values(editing, caller),
        requests_link=_requests_link,
    )


def _form_values(editing: dict[str, Any] | None, caller: Caller) -> dict[str, str]:
    """The set-budget form's values: the budget being edited, or a new one on the caller's workload."""
    if editing is None:
        blank = dict.fromkeys(_FORM_FIELDS, "")
        return blank | {"scope": "workload", "period": "monthly", "workload": caller.workload or "", "hard": "on"}
    values = {name: "" if editing.get(name) is None else str(editing[name]) for name in _FORM_FIELDS}
    values["thresholds"] = ",".join(str(t) for t in editing["thresholds"])
    values["hard"] = "on" if editing["hard"] else ""
    values["each_user"] = "on" if editing.get("each_user") else ""
    values["webhook_url"] = ""  # stored whole, shown masked: leave it empty to drop it, or type it again
    return values


def _requests_link(event: dict[str, Any]) -> str | None:
    """The request log filtered to an event's workload and user (the calls that spent the budget)."""
    if not event.get("workload"):
        return None
    query = {"workload": event["workload"], **({"user": event["user_id"]} if event.get("user_id") else {})}
    return f"/ui/requests?{urlencode(query)}"


async def _refresh_book(state: GatewayState) -> None:
    runtime = state.slots.get(BUDGETS)
    if runtime is not None:
        await runtime.book.refresh()  # enforced here at once; other replicas within a refresh


@pages.page(f"{COST_PAGE}/budgets", title="Set a budget", method="POST", role=Role.ADMIN)
async def set_budget_form(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    state = request.app[STATE]
    req = budget_form(await request.post(), time.time())
    if not may_change(caller, req.scope, req.workload):
        raise PermissionDenied(
            "Only the admin key may set budgets (as on PUT /api/budgets).",
            code="budget_forbidden",
        )
    existing = await asyncio.to_thread(get_budget, state.engine, req.name)
    if existing is not None and not may_change(caller, existing.scope.value, existing.workload):
        raise PermissionDenied(
            f"A budget named {req.name!r} exists and this key may not change it.", code="budget_forbidden"
        )
    await asyncio.to_thread(set_budget, state.engine, req)
    await _refresh_book(state)
    return redirect(f"{COST_PAGE}#budgets")


@pages.page(f"{COST_PAGE}/budgets/{{name}}/delete", title="Delete a budget", method="POST", role=Role.ADMIN)
async def delete_budget_form(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    state = request.app[STATE]
    name = request.match_info["name"]
    budget = await asyncio.to_thread(get_budget, state.engine, name)
    if budget is None or not [b for b in await _readable(state, caller) if b.id == budget.id]:
        raise NotFound(f"No budget named {name!r} that this key may see.", code="budget_not_found")
    if not may_change(caller, budget.scope.value, budget.workload):
        raise PermissionDenied(f"This key may not delete the budget {name!r}.", code="budget_forbidden")
    await asyncio.to_thread(delete_budget, state.engine, budget.name, time.time())
    await _refresh_book(state)
    return redirect(f"{COST_PAGE}#budgets")
