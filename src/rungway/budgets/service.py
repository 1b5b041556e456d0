"""Setting, listing and inspecting budgets: the use cases behind `rungway budgets` and `/api/budgets`.

A budget's state is its spend in the current period: live from the counters (spent plus the
holds of calls in flight) when a gateway asks, and from the request log otherwise, which is the
truth the live counters are seeded from.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from rungway.budgets.model import (
    DEFAULT_THRESHOLDS,
    MAX_SPEND_NANO,
    Budget,
    BudgetScope,
    Period,
    mask_urls,
    masked_url,
    parse_usd,
    period_bounds,
    valid_budget_name,
)
from rungway.budgets.store import BudgetEvent, count_events, save_budget, spend_in_log
from rungway.counters.base import BudgetState
from rungway.domain.ids import new_id
from rungway.domain.pricing import usd
from rungway.errors import InvalidRequest
from rungway.store.keys import key_by_id
from rungway.store.workloads import get_workload, list_workloads

_TARGETS = {
    BudgetScope.WORKLOAD: ("workload",),
    BudgetScope.USER: ("workload", "user"),
    BudgetScope.TEAM: ("team",),
    BudgetScope.KEY: ("key_id",),
}


@dataclass(frozen=True, slots=True)
class BudgetRequest:
    """What a person asks for; validated by `set_budget`."""

    name: str
    scope: str
    amount_usd: str
    period: str = "monthly"
    workload: str | None = None
    user: str | None = None
    team: str | None = None
    key_id: str | None = None
    starts_at: float | None = None
    ends_at: float | None = None
    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS
    hard: bool = True
    webhook_url: str | None = None
    each_user: bool = False  # scope user, no user named: a default per-user budget for every user of the workload


def _choice(value: str, kind: type[BudgetScope] | type[Period], param: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(v.value for v in kind)
        raise InvalidRequest(f"{param} {value!r} is not valid: use one of {allowed}", param=param) from None


def build_budget(req: BudgetRequest, now: float) -> Budget:
    """Validate a request into a Budget; every mistake is one InvalidRequest naming the field and fix."""
    if not valid_budget_name(req.name):
        raise InvalidRequest(
            f"budget name {req.name!r} is not valid: use lowercase letters, digits, '.', '_' or '-'", param="name"
        )
    scope: BudgetScope = _choice(req.scope, BudgetScope, "scope")
    period: Period = _choice(req.period, Period, "period")
    each_user = _each_user(req, scope)
    for field_name in _TARGETS[scope]:
        if not getattr(req, field_name) and not (each_user and field_name == "user"):
            fix = " (or `each_user: true` for a default per-user budget)" if field_name == "user" else ""
            raise InvalidRequest(f"a {scope.value} budget needs `{field_name}`{fix}", param=field_name)
    try:
        amount = parse_usd(req.amount_usd)
    except ValueError as exc:
        raise InvalidRequest(str(exc), param="amount_usd") from None
    if period is Period.FIXED:
        if req.starts_at is None or req.ends_at is None or req.ends_at <= req.starts_at:
            raise InvalidRequest("a fixed budget needs `starts_at` before `ends_at`", param="ends_at")
    elif req.starts_at is not None or req.ends_at is not None:
        raise InvalidRequest(f"a {period.value} budget resets by itself: drop starts_at/ends_at", param="period")
    if not req.thresholds or any(not 0 < t <= 1000 for t in req.thresholds):
        raise InvalidRequest("thresholds are percentages from 1 to 1000, e.g. 50,80,100", param="thresholds")
    if req.webhook_url and not req.webhook_url.startswith(("http://", "https://")):
        raise InvalidRequest("webhook_url must start with http:// or https://", param="webhook_url")
    targets = {name: getattr(req, name) if name in _TARGETS[scope] else None for name in ("workload", "user", "team")}
    return Budget(
        id=new_id("bud_"),
        name=req.name,
        scope=scope,
        amount_nano=amount,
        period=period,
        key_id=req.key_id if scope is BudgetScope.KEY else None,
        starts_at=req.starts_at,
        ends_at=req.ends_at,
        thresholds=tuple(sorted(set(req.thresholds))),
        hard=req.hard,
        webhook_url=req.webhook_url or None,
        created_at=now,
        updated_at=now,
        each_user=each_user,
        **targets,
    )


def _each_user(req: BudgetRequest, scope: BudgetScope) -> bool:
    if not req.each_user:
        return False
    if scope is not BudgetScope.USER:
        raise InvalidRequest("each_user applies to scope user only (a default per-user budget)", param="each_user")
    if req.user:
        raise InvalidRequest(
            "a default per-user budget names no user: drop `user`, or drop `each_user` for one user's budget",
            param="each_user",
        )
    return True


def set_budget(engine: Engine, req: BudgetRequest, now: float | None = None) -> Budget:
    """Create the budget, or replace the one with the same name; the workload and key it names must exist."""
    budget = build_budget(req, time.time() if now is None else now)
    _require_subjects(engine, req)
    return save_budget(engine, budget)


def _require_subjects(engine: Engine, req: BudgetRequest) -> None:
    """A budget on a workload or key that does not exist would never apply: refuse it, saying what exists."""
    if req.workload is not None and get_workload(engine, req.workload) is None:
        known = ", ".join(w.name for w in list_workloads(engine)[:20]) or "none yet"
        raise InvalidRequest(
            f"no workload {req.workload!r}. Fix: create it first (`rungway workloads create {req.workload}` or "
            f"POST /api/workloads), or name an existing one: {known}",
            param="workload",
        )
    if req.key_id is not None and key_by_id(engine, req.key_id) is None:
        raise InvalidRequest(
            f"no API key {req.key_id!r}. Fix: copy a key id from `rungway keys list` (or GET /api/keys)",
            param="key_id",
        )


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """A budget in its current period."""

    budget: Budget
    period_start: float
    period_end: float
    spent_nano: int
    reserved_nano: int
    logged_nano: int
    blocks: int
    live: bool

    @property
    def remaining_nano(self) -> int:
        return self.budget.amount_nano - self.spent_nano - self.reserved_nano

    @property
    def overspend_nano(self) -> int:
        """Spend past the limit, by the live counter or the request log, whichever knows more."""
        return max(0, self.spent_nano - self.budget.amount_nano)

    @property
    def percent(self) -> float:
        return 100.0 * self.spent_nano / self.budget.amount_nano


def budget_status(
    engine: Engine,
    budget: Budget,
    now: float,
    live: BudgetState | None = None,
    logged_in: tuple[float, int] | None = None,
) -> BudgetStatus:
    """Spend from the live counters when given, else from the request log; blocks from the event log.

    The live counter runs ahead of the log (settled calls not written yet) but can also fall behind it
    (a Redis that lost its data, settles lost in an outage): spend is the larger of the two, so a lost
    counter never hides spend, nor overspend, that the log holds. `logged_in` is the log's spend when the
    caller has it already: (the period's start it was read for, nano-dollars); another period's is ignored."""
    start, end = period_bounds(budget, now)
    if logged_in is not None and logged_in[0] == start:
        logged = min(logged_in[1], MAX_SPEND_NANO)
    else:
        logged = spend_in_log(engine, budget, start, end)
    return BudgetStatus(
        budget=budget,
        period_start=start,
        period_end=end,
        spent_nano=min(max(live.spent, logged), MAX_SPEND_NANO) if live is not None else logged,
        reserved_nano=min(max(live.reserved, 0), MAX_SPEND_NANO) if live is not None else 0,
        logged_nano=logged,
        blocks=count_events(engine, budget.id, "blocked", start),
        live=live is not None,
    )


def iso(ts: float) -> str | None:
    if ts == float("inf"):
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def budget_dict(b: Budget) -> dict[str, Any]:
    return {
        "id": b.id,
        "name": b.name,
        "scope": b.scope.value,
        "target": b.target,
        "workload": b.workload,
        "user": b.user,
        "each_user": b.each_user,
        "team": b.team,
        "key_id": b.key_id,
        "amount_usd": usd(b.amount_nano),
        "amount_nano": b.amount_nano,
        "period": b.period.value,
        "starts_at": iso(b.starts_at) if b.starts_at is not None else None,
        "ends_at": iso(b.ends_at) if b.ends_at is not None else None,
        "thresholds": list(b.thresholds),
        "hard": b.hard,
        "webhook_url": masked_url(b.webhook_url),
    }


def event_dict(e: BudgetEvent) -> dict[str, Any]:
    """A budget event as shown (API, CLI): webhook URLs in its message masked, old rows included."""
    row = {name: getattr(e, name) for name in BudgetEvent.__slots__}
    if e.message:
        row["message"] = mask_urls(e.message)
    return row


def visible_budgets(engine: Engine, budgets: list[Budget], workload: str | None) -> list[Budget]:
    """The budgets a workload's (non-admin) key may read: those whose spend is that workload's alone.

    Workload and user budgets of the workload, and budgets of its own API keys. A team budget sums the
    spend of every workload of the team, so only admins see it (its figures would show other workloads')."""
    if workload is None:
        return []
    key_workloads: dict[str, str | None] = {}
    shown = []
    for budget in budgets:
        if budget.scope in (BudgetScope.WORKLOAD, BudgetScope.USER):
            visible = budget.workload == workload
        elif budget.scope is BudgetScope.KEY and budget.key_id is not None:
            if budget.key_id not in key_workloads:
                key = key_by_id(engine, budget.key_id)
                key_workloads[budget.key_id] = key.workload if key is not None else None
            visible = key_workloads[budget.key_id] == workload
        else:
            visible = False
        if visible:
            shown.append(budget)
    return shown


def status_dict(s: BudgetStatus) -> dict[str, Any]:
    return {
        **budget_dict(s.budget),
        "period_start": iso(s.period_start),
        "resets_at": iso(s.period_end),
        "spent_nano": s.spent_nano,
        "reserved_nano": s.reserved_nano,
        "logged_nano": s.logged_nano,
        "remaining_nano": s.remaining_nano,
        "overspend_nano": s.overspend_nano,
        "spent_usd": usd(s.spent_nano),
        "percent": round(s.percent, 2),
        "blocks_this_period": s.blocks,
        "live": s.live,
    }


__all__ = [
    "BudgetRequest",
    "BudgetStatus",
    "budget_dict",
    "budget_status",
    "build_budget",
    "event_dict",
    "set_budget",
    "status_dict",
    "visible_budgets",
]
