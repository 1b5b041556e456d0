"""What forecasts look like to callers: the JSON the API, the CLI's `--format json` and the pages share, and
the schemas `/api/openapi.json` publishes for them. Amounts are integer nano-dollars with a USD float beside."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from rungway.budgets.public import list_budgets, visible_budgets
from rungway.domain.pricing import usd
from rungway.domain.timespec import DAY
from rungway.forecasts.service import BudgetOutlook, GroupForecast, SpendForecast
from rungway.forecasts.store import AlertEpisode, read_episodes

__all__ = [
    "EPISODE",
    "OUTLOOK",
    "SPEND_FORECAST",
    "episode_dict",
    "iso",
    "outlook_dict",
    "spend_forecast_dict",
    "visible_episodes",
]

_TIME = {"type": ["string", "null"], "description": "ISO 8601, UTC"}
_GROUP: dict[str, Any] = {
    "type": "object",
    "properties": {
        "key": {"type": ["string", "null"]},
        "history_days": {"type": "integer"},
        "last_7d_usd": {"type": "number"},
        "forecast_usd": {"type": "number"},
        "lower_usd": {"type": "number"},
        "upper_usd": {"type": "number"},
        "forecast_nano": {"type": "integer"},
        "method": {"type": "string", "enum": ["seasonal-damped", "run-rate"]},
        "daily_usd": {"type": "array", "items": {"type": "number"}},
    },
}
SPEND_FORECAST: dict[str, Any] = {
    "type": "object",
    "properties": {
        "by": {"type": "string"},
        "days": {"type": "integer"},
        "level": {"type": "number", "description": "the intervals' coverage, e.g. 0.8"},
        "from": {"type": "string", "description": "the first forecast day (UTC date)"},
        "groups": {"type": "array", "items": _GROUP},
        "omitted": {"type": "integer", "description": "keys past the costliest 50, not forecast"},
    },
}
OUTLOOK: dict[str, Any] = {
    "type": "object",
    "properties": {
        "budget": {"type": "string"},
        "target": {"type": "string"},
        "amount_usd": {"type": "number"},
        "period_end": _TIME,
        "spent_usd": {"type": "number"},
        "remaining_usd": {"type": "number"},
        "period_forecast_usd": {"type": ["number", "null"]},
        "exhausts_at": _TIME,
        "exhausts_earliest": _TIME,
        "exhausts_latest": _TIME,
        "exhausts_in_period": {"type": "boolean"},
        "history_days": {"type": "integer"},
        "note": {"type": "string"},
    },
}
EPISODE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "budget": {"type": "string"},
        "exhaust_at": _TIME,
        "opened_at": _TIME,
        "closed_at": _TIME,
        "message": {"type": "string"},
    },
}


def iso(ts: float | None) -> str | None:
    if ts is None or ts == float("inf"):
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _group_dict(g: GroupForecast) -> dict[str, Any]:
    return {
        "key": g.key,
        "history_days": g.history_days,
        "last_7d_usd": usd(g.last_7d_nano),
        "forecast_usd": usd(g.point_nano),
        "lower_usd": usd(g.lower_nano),
        "upper_usd": usd(g.upper_nano),
        "forecast_nano": g.point_nano,
        "method": g.method,
        "daily_usd": [usd(v) for v in g.daily_nano],
    }


def spend_forecast_dict(f: SpendForecast) -> dict[str, Any]:
    return {
        "by": f.by,
        "days": f.days,
        "level": f.level,
        "workload": f.workload,
        "from": datetime.fromtimestamp(f.first_day * DAY, UTC).date().isoformat(),
        "groups": [_group_dict(g) for g in f.groups],
        "omitted": f.omitted,
    }


def outlook_dict(o: BudgetOutlook) -> dict[str, Any]:
    e = o.exhaustion
    return {
        "budget": o.budget.name,
        "target": o.budget.target,
        "scope": o.budget.scope.value,
        "period": o.budget.period.value,
        "amount_usd": usd(o.budget.amount_nano),
        "period_start": iso(o.period_start),
        "period_end": iso(o.period_end),
        "spent_usd": usd(o.spent_nano),
        "remaining_usd": usd(o.remaining_nano),
        "period_forecast_usd": usd(o.period_forecast_nano) if o.period_forecast_nano is not None else None,
        "exhausts_at": iso(e.at) if e else None,
        "exhausts_earliest": iso(e.earliest) if e else None,
        "exhausts_latest": iso(e.latest) if e else None,
        "exhausts_in_period": bool(e and e.in_period),
        "history_days": o.history_days,
        "note": o.note,
    }


def episode_dict(e: AlertEpisode) -> dict[str, Any]:
    return {
        "id": e.id,
        "budget": e.budget_name,
        "budget_id": e.budget_id,
        "workload": e.workload,
        "period_end": iso(e.period_end),
        "exhaust_at": iso(e.exhaust_at),
        "earliest": iso(e.earliest),
        "latest": iso(e.latest),
        "opened_at": iso(e.opened_at),
        "closed_at": iso(e.closed_at),
        "message": e.message,
    }


def visible_episodes(engine: Engine, workload: str | None, admin: bool, limit: int) -> list[AlertEpisode]:
    """The alert episodes of the budgets the caller may read (an admin: every one, or one workload's)."""
    budgets = list_budgets(engine)
    if admin and workload is None:
        return read_episodes(engine, None, limit)
    shown = visible_budgets(engine, budgets, workload) if not admin else [b for b in budgets if b.workload == workload]
    return read_episodes(engine, [b.id for b in shown], limit)
