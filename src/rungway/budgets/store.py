"""Budgets and budget events in the store, and the request-log sums that seed budget counters.

`budgets` holds the definitions (the gateway keeps them in memory and refreshes them);
`budget_events` keeps every block, every threshold alert and its delivery, so that the CLI
and the API can show what happened. Events are written through a batch writer, never on the
request path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Float,
    Index,
    String,
    Table,
    Text,
    cast,
    func,
    insert,
    select,
    update,
)

from rungway.budgets.model import MAX_SPEND_NANO, Budget, BudgetScope, Period
from rungway.store.schema import metadata, requests

budgets = Table(
    "budgets",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("scope", String(16), nullable=False),
    Column("workload", String(64)),
    Column("user_id", String(256)),
    Column("team", String(128)),
    Column("key_id", String(40)),
    Column("amount_nano", BigInteger, nullable=False),
    Column("period", String(16), nullable=False),
    Column("starts_at", Float),
    Column("ends_at", Float),
    Column("thresholds", Text, nullable=False, default="[50, 80, 100]"),
    Column("hard", Boolean, nullable=False, default=True),
    Column("webhook_url", Text),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False, index=True),
    Column("deleted_at", Float),
)

budget_events = Table(
    "budget_events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("budget_id", String(40), nullable=False),
    Column("ts", Float, nullable=False),
    Column("kind", String(16), nullable=False),  # blocked | threshold | alert_sent | alert_failed
    Column("period_start", Float, nullable=False),
    Column("threshold", BigInteger),
    Column("spent_nano", BigInteger, nullable=False, default=0),
    Column("reserved_nano", BigInteger, nullable=False, default=0),
    Column("requested_nano", BigInteger, nullable=False, default=0),
    Column("limit_nano", BigInteger, nullable=False, default=0),
    Column("request_id", String(40)),
    Column("workload", String(64)),
    Column("user_id", String(256)),
    Column("key_id", String(40)),
    Column("message", Text),
    Index("ix_budget_events_budget_ts", "budget_id", "ts"),
    Index("ix_budget_events_ts", "ts"),
)


@dataclass(frozen=True, slots=True)
class BudgetEvent:
    """Something that happened to a budget: a blocked call, a threshold crossed, an alert sent or failed."""

    id: str
    budget_id: str
    ts: float
    kind: str
    period_start: float
    threshold: int | None = None
    spent_nano: int = 0
    reserved_nano: int = 0
    requested_nano: int = 0
    limit_nano: int = 0
    request_id: str | None = None
    workload: str | None = None
    user_id: str | None = None
    key_id: str | None = None
    message: str | None = None


def _budget(row: Any) -> Budget:
    m = row._mapping
    return Budget(
        id=m["id"],
        name=m["name"],
        scope=BudgetScope(m["scope"]),
        amount_nano=int(m["amount_nano"]),
        period=Period(m["period"]),
        workload=m["workload"],
        user=m["user_id"],
        team=m["team"],
        key_id=m["key_id"],
        starts_at=m["starts_at"],
        ends_at=m["ends_at"],
        thresholds=tuple(json.loads(m["thresholds"] or "[]")),
        hard=bool(m["hard"]),
        webhook_url=m["webhook_url"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        each_user=m["scope"] == BudgetScope.USER.value and m["user_id"] is None,
    )


def _values(b: Budget) -> dict[str, Any]:
    return {
        "name": b.name,
        "scope": b.scope.value,
        "workload": b.workload,
        "user_id": b.user,
        "team": b.team,
        "key_id": b.key_id,
        "amount_nano": b.amount_nano,
        "period": b.period.value,
        "starts_at": b.starts_at,
        "ends_at": b.ends_at,
        "thresholds": json.dumps(list(b.thresholds)),
        "hard": b.hard,
        "webhook_url": b.webhook_url,
        "updated_at": b.updated_at,
    }


def save_budget(engine: Engine, budget: Budget) -> Budget:
    """Insert, or update the budget with the same name (keeping its id); returns what is stored."""
    with engine.begin() as conn:
        existing = conn.execute(select(budgets.c.id).where(budgets.c.name == budget.name)).first()
        if existing is None:
            conn.execute(insert(budgets).values(id=budget.id, created_at=budget.created_at, **_values(budget)))
        else:
            conn.execute(update(budgets).where(budgets.c.id == existing.id).values(deleted_at=None, **_values(budget)))
        row = conn.execute(select(budgets).where(budgets.c.name == budget.name)).one()
    return _budget(row)


def delete_budget(engine: Engine, name: str, now: float) -> bool:
    """Soft-delete so that replicas notice at their next refresh; False when there is no such budget."""
    with engine.begin() as conn:
        result = conn.execute(
            update(budgets)
            .where((budgets.c.name == name) & budgets.c.deleted_at.is_(None))
            .values(deleted_at=now, updated_at=now)
        )
    return bool(result.rowcount)


def list_budgets(engine: Engine) -> list[Budget]:
    with engine.connect() as conn:
        rows = conn.execute(select(budgets).where(budgets.c.deleted_at.is_(None)).order_by(budgets.c.name))
        return [_budget(r) for r in rows]


def get_budget(engine: Engine, name_or_id: str) -> Budget | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(budgets).where(
                ((budgets.c.name == name_or_id) | (budgets.c.id == name_or_id)) & budgets.c.deleted_at.is_(None)
            )
        ).first()
    return _budget(row) if row is not None else None


def spend_in_log(engine: Engine, budget: Budget, start: float, end: float) -> int:
    """The budget's spend in [start, end) according to the request log, in nano-dollars, at most
    `MAX_SPEND_NANO`: summed as doubles (exact below 2^53) so that rows with absurd costs (written before
    usage was bounded) cannot overflow the database's integer sum."""
    c = requests.c
    total = func.coalesce(func.sum(cast(c.cost_nano, Float)), 0)
    q = select(total).where(c.ts_start >= start, c.ts_start < end)
    if budget.scope is BudgetScope.WORKLOAD:
        q = q.where(c.workload == budget.workload)
    elif budget.scope is BudgetScope.USER and budget.user is None:
        heaviest = max(spend_by_user_in_log(engine, budget, start, end).values(), default=0)
        return min(heaviest, MAX_SPEND_NANO)  # a default per-user budget: its most-spending user
    elif budget.scope is BudgetScope.USER:
        q = q.where(c.workload == budget.workload, c.user_id == budget.user)
    elif budget.scope is BudgetScope.TEAM:
        q = q.where(c.team == budget.team)
    else:
        q = q.where(c.key_id == budget.key_id)
    with engine.connect() as conn:
        return min(int(conn.execute(q).scalar_one()), MAX_SPEND_NANO)


def spend_by_user_in_log(engine: Engine, budget: Budget, start: float, end: float) -> dict[str, int]:
    """Each user's spend in the workload of a default per-user budget over [start, end) (users with spend only)."""
    c = requests.c
    q = (
        select(c.user_id, func.sum(cast(c.cost_nano, Float)))
        .where(c.workload == budget.workload, c.user_id.is_not(None), c.ts_start >= start, c.ts_start < end)
        .group_by(c.user_id)
    )
    with engine.connect() as conn:
        return {row[0]: min(int(row[1] or 0), MAX_SPEND_NANO) for row in conn.execute(q) if row[1]}


def insert_events(engine: Engine, events: Sequence[BudgetEvent]) -> None:
    """The batch writer's sink."""
    if not events:
        return
    with engine.begin() as conn:
        conn.execute(insert(budget_events), [_event_row(e) for e in events])


def _event_row(e: BudgetEvent) -> dict[str, Any]:
    return {name: getattr(e, name) for name in BudgetEvent.__slots__}


def list_events(
    engine: Engine,
    budget_id: str | None = None,
    kind: str | None = None,
    since: float | None = None,
    limit: int = 100,
    budget_ids: Sequence[str] | None = None,
) -> list[BudgetEvent]:
    """Newest first; `budget_ids` (when given) limits them to those budgets."""
    q = select(budget_events)
    if budget_id:
        q = q.where(budget_events.c.budget_id == budget_id)
    if budget_ids is not None:
        q = q.where(budget_events.c.budget_id.in_(list(budget_ids)))
    if kind:
        q = q.where(budget_events.c.kind == kind)
    if since is not None:
        q = q.where(budget_events.c.ts >= since)
    q = q.order_by(budget_events.c.ts.desc()).limit(max(1, min(limit, 10_000)))
    with engine.connect() as conn:
        return [BudgetEvent(**dict(r._mapping)) for r in conn.execute(q)]


def count_events(engine: Engine, budget_id: str, kind: str, since: float) -> int:
    q = select(func.count()).where(
        budget_events.c.budget_id == budget_id, budget_events.c.kind == kind, budget_events.c.ts >= since
    )
    with engine.connect() as conn:
        return int(conn.execute(q).scalar_one())


def threshold_recorded(engine: Engine, budget_id: str, period_start: float, threshold: int) -> bool:
    """Whether this threshold was already reached and alerted in this period (survives restarts)."""
    q = select(func.count()).where(
        budget_events.c.budget_id == budget_id,
        budget_events.c.kind == "threshold",
        budget_events.c.period_start == period_start,
        budget_events.c.threshold == threshold,
    )
    with engine.connect() as conn:
        return bool(conn.execute(q).scalar_one())


__all__ = [
    "BudgetEvent",
    "budget_events",
    "budgets",
    "count_events",
    "delete_budget",
    "get_budget",
    "insert_events",
    "list_budgets",
    "list_events",
    "save_budget",
    "spend_by_user_in_log",
    "spend_in_log",
    "threshold_recorded",
]
