"""`/api/budgets`: set, list, read (with live state) and delete budgets, and list budget events.

Scoped like the request log: a key that is not admin sees only the budgets (and their events) whose
spend is its own workload's: the workload's and its users' budgets and its keys' budgets, never a team
budget (whose figures include other workloads). Webhook URLs are shown masked (scheme and host).
State is live when this server enforces budgets (spent and in-flight holds from the counters,
shared through Redis across replicas); the request-log spend is always given next to it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from rungway.api.auth import caller_of, note_read
from rungway.api.bodies import INSTANT, USD_AMOUNT, json_object, nullable, optional_str, text
from rungway.api.registry import ApiRouter, QueryParam
from rungway.budgets.model import DEFAULT_THRESHOLDS, Budget, period_bounds
from rungway.budgets.service import (
    BudgetRequest,
    budget_status,
    event_dict,
    set_budget,
    status_dict,
    visible_budgets,
)
from rungway.budgets.steps import BUDGETS
from rungway.budgets.store import delete_budget, get_budget, list_budgets, list_events
from rungway.counters.base import BudgetState
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.gateway.state import GatewayState
from rungway.services.logs import parse_time

__all__ = ["live_status", "router"]

router = ApiRouter("budgets")

_BUDGET: dict[str, Any] = {
    "type": "object",
    "description": "A budget in its current period: spent (live when enforced here), held by calls in flight, blocks",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "scope": {"type": "string", "enum": ["workload", "user", "team", "key"]},
        "amount_usd": {"type": "number"},
        "period": {"type": "string", "enum": ["daily", "weekly", "monthly", "fixed"]},
        "spent_nano": {"type": "integer"},
        "reserved_nano": {"type": "integer"},
        "logged_nano": {"type": "integer", "description": "spend in the request log this period"},
        "overspend_nano": {"type": "integer"},
        "resets_at": {"type": ["string", "null"]},
        "blocks_this_period": {"type": "integer"},
    },
}

_SET_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["name", "scope", "amount_usd"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,127}$"},
        "scope": {"type": "string", "enum": ["workload", "user", "team", "key"]},
        "amount_usd": USD_AMOUNT,
        "period": {"type": "string", "enum": ["daily", "weekly", "monthly", "fixed"], "default": "monthly"},
        "workload": nullable(text(64)),
        "user": nullable(text(256)),
        "each_user": {
            "type": "boolean",
            "default": False,
            "description": "scope user without `user`: a default per-user budget, applied to each user separately",
        },
        "team": nullable(text(128)),
        "key_id": nullable(text(40)),
        "starts_at": {**INSTANT, "description": "fixed window: ISO 8601 or epoch"},
        "ends_at": INSTANT,
        "thresholds": {
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": 1000},
            "minItems": 1,
            "maxItems": 20,
            "default": list(DEFAULT_THRESHOLDS),
        },
        "hard": {"type": "boolean", "default": True},
        "webhook_url": {**nullable(text(2048)), "pattern": r"^https?://[^\x00-\x1f\x7f-\x9f]*$"},
    },
}
_FIELDS = set(_SET_BODY["properties"])


async def live_status(
    state: GatewayState, budget: Budget, logged_in: tuple[float, int] | None = None
) -> dict[str, Any]:
    """A budget's state this period as the API shows it: live counters when enforced here, else the log
    (`logged_in`: the log's spend when the caller has read it already, see `budget_status`)."""
    now = time.time()
    live: BudgetState | None = None
    if BUDGETS in state.slots:
        start, _ = period_bounds(budget, now)
        try:
            live = (await state.counters.budget_state([budget.counter_key(start)]))[0]
        except Exception:  # noqa: BLE001 - without counters the request-log spend is still the answer
            state.metrics.counter_errors.labels(state.counters.name, "status_failed").inc()
    status = await asyncio.to_thread(budget_status, state.engine, budget, now, live, logged_in)
    return status_dict(status)


def _when(body: dict[str, Any], field: str) -> float | None:
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return parse_time(str(value), time.time(), field)


def _request(body: dict[str, Any]) -> BudgetRequest:
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise InvalidRequest(f"unknown field {unknown[0]!r}; use {', '.join(sorted(_FIELDS))}", param=unknown[0])
    thresholds = body.get("thresholds", list(DEFAULT_THRESHOLDS))
    if not isinstance(thresholds, list) or not all(isinstance(t, int) for t in thresholds):
        raise InvalidRequest("thresholds must be a list of whole percentages, e.g. [50, 80, 100]", param="thresholds")
    hard, each_user = body.get("hard", True), body.get("each_user", False)
    if not isinstance(hard, bool):
        raise InvalidRequest("hard must be true or false", param="hard")
    if not isinstance(each_user, bool):
        raise InvalidRequest("each_user must be true or false", param="each_user")
    amount = body.get("amount_usd")
    if not isinstance(amount, str | int | float) or isinstance(amount, bool):
        raise InvalidRequest('amount_usd is required, e.g. "25.00"', param="amount_usd")
    return BudgetRequest(
        name=optional_str(body, "name") or "",
        scope=optional_str(body, "scope") or "",
        amount_usd=str(amount),
        period=optional_str(body, "period") or "monthly",
        workload=optional_str(body, "workload"),
        user=optional_str(body, "user"),
        each_user=each_user,
        team=optional_str(body, "team"),
        key_id=optional_str(body, "key_id"),
        starts_at=_when(body, "starts_at"),
        ends_at=_when(body, "ends_at"),
        thresholds=tuple(thresholds),
        hard=hard,
        webhook_url=optional_str(body, "webhook_url"),
    )


@router.route("PUT", "/api/budgets", summary="Create or replace a budget (by name)", role=Role.ADMIN,
              body=_SET_BODY, response=_BUDGET)  # fmt: skip
async def put_budget(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    budget = await asyncio.to_thread(set_budget, state.engine, _request(await json_object(request)))
    runtime = state.slots.get(BUDGETS)
    if runtime is not None:
        await runtime.book.refresh()  # seeded and enforced here at once; other replicas within a refresh
    return json_response(await live_status(state, budget))


@router.route("GET", "/api/budgets", summary="List budgets with their state this period",
              response={"type": "object", "properties": {"data": {"type": "array", "items": _BUDGET}}})  # fmt: skip
async def get_budgets(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    budgets = await _readable(request, await asyncio.to_thread(list_budgets, state.engine))
    for workload in sorted({b.workload for b in budgets if b.workload}):
        note_read(request, "budget_status", workload)
    return json_response({"object": "list", "data": [await live_status(state, b) for b in budgets]})


async def _readable(request: web.Request, budgets: list[Budget]) -> list[Budget]:
    """The budgets this caller may read: all for an admin, else those of its own workload."""
    caller = caller_of(request)
    if caller.role is Role.ADMIN:
        return budgets
    return await asyncio.to_thread(visible_budgets, request.app[STATE].engine, budgets, caller.workload)


async def _find(request: web.Request, name: str) -> Budget:
    """The named budget if this caller may read it; one answer for absent and hidden, so names do not leak."""
    budget = await asyncio.to_thread(get_budget, request.app[STATE].engine, name)
    if budget is None or not await _readable(request, [budget]):
        raise NotFound(f"no budget named {name!r}; list them with GET /api/budgets", param="name")
    return budget


@router.route("GET", "/api/budgets/{name}", summary="One budget's state this period", response=_BUDGET)
async def get_one_budget(request: web.Request) -> web.StreamResponse:
    budget = await _find(request, request.match_info["name"])
    if budget.workload:
        note_read(request, "budget_status", budget.workload)
    return json_response(await live_status(request.app[STATE], budget))


@router.route("DELETE", "/api/budgets/{name}", summary="Delete a budget", role=Role.ADMIN)
async def remove_budget(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    name = request.match_info["name"]
    if not await asyncio.to_thread(delete_budget, state.engine, name, time.time()):
        raise NotFound(f"no budget named {name!r}", param="name")
    runtime = state.slots.get(BUDGETS)
    if runtime is not None:
        await runtime.book.refresh()
    return json_response({"deleted": name})


@router.route(
    "GET",
    "/api/budget-events",
    summary="Blocked calls, thresholds reached and alerts, newest first",
    params=[
        QueryParam("budget", "a budget name", max_length=128),
        QueryParam("kind", "the kind of event", enum=("blocked", "threshold", "alert_sent", "alert_failed")),
        QueryParam("since", "7d, an ISO date or epoch seconds", type="time"),
        QueryParam("limit", "at most this many (default 100)", type="integer", minimum=1, maximum=1000),
    ],
)
async def get_events(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    q = request.query
    budget_id = (await _find(request, q["budget"])).id if q.get("budget") else None
    readable: list[str] | None = None
    if budget_id is None and caller_of(request).role is not Role.ADMIN:
        readable = [b.id for b in await _readable(request, await asyncio.to_thread(list_budgets, state.engine))]
    try:
        limit = int(q.get("limit", "100"))
    except ValueError:
        raise InvalidRequest("limit must be a whole number", param="limit") from None
    since = parse_time(q.get("since"), time.time(), "since")
    kind = q.get("kind") or None
    events = await asyncio.to_thread(list_events, state.engine, budget_id, kind, since, limit, readable)
    return json_response({"object": "list", "data": [event_dict(e) for e in events]})
