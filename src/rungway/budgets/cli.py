"""`rungway budgets list|set|status|delete|events`: budgets and what they blocked, straight on the store.

Spend shown here comes from the request log (what the gateway has recorded); a running gateway's
`GET /api/budgets` adds the live holds of calls in flight.
"""

from __future__ import annotations

import time
from typing import Any

import click

from rungway.budgets.model import DEFAULT_THRESHOLDS
from rungway.budgets.service import BudgetRequest, budget_dict, budget_status, event_dict, set_budget, status_dict
from rungway.budgets.store import delete_budget, get_budget, list_budgets, list_events
from rungway.cli.options import config_option, format_option, open_store
from rungway.cli.render import Column, emit, fmt_time, fmt_usd
from rungway.domain.pricing import usd
from rungway.errors import InvalidRequest, NotFound
from rungway.services.logs import parse_time
from rungway.store.reads import record_read

__all__ = ["budgets_group"]

_nano = lambda v: fmt_usd(usd(int(v or 0)))  # noqa: E731 - a column formatter

STATUS_COLUMNS = [
    Column("name", "Budget"),
    Column("target", "Covers"),
    Column("period", "Period"),
    Column("amount_usd", "Limit", fmt_usd, justify="right"),
    Column("spent_nano", "Spent", _nano, justify="right"),
    Column("percent", "Used", lambda v: f"{v:.1f}%", justify="right"),
    Column("overspend_nano", "Over", _nano, justify="right"),
    Column("hard", "Hard", lambda v: "yes" if v else "soft"),
    Column("blocks_this_period", "Blocks", justify="right"),
    Column("resets_at", "Resets (UTC)", lambda v: v or "never"),
]
LIST_COLUMNS = [
    Column("name", "Budget"),
    Column("target", "Covers"),
    Column("period", "Period"),
    Column("amount_usd", "Limit", fmt_usd, justify="right"),
    Column("thresholds", "Alerts at", lambda v: ", ".join(f"{t}%" for t in v)),
    Column("hard", "Hard", lambda v: "yes" if v else "soft"),
    Column("id", "ID"),
]
EVENT_COLUMNS = [
    Column("ts", "Time", fmt_time),
    Column("kind", "Event"),
    Column("threshold", "At %", justify="right"),
    Column("spent_nano", "Spent", _nano, justify="right"),
    Column("requested_nano", "Asked", _nano, justify="right"),
    Column("workload", "Workload"),
    Column("user_id", "User"),
    Column("request_id", "Request"),
]


@click.group("budgets")
def budgets_group() -> None:
    """Spend limits per workload, user, team or API key, with alerts and hard blocks."""


@budgets_group.command("list")
@config_option
@format_option("table", "json", "csv")
def list_command(config_path: str | None, fmt: str) -> None:
    """List budgets."""
    engine = open_store(config_path)
    emit([budget_dict(b) for b in list_budgets(engine)], LIST_COLUMNS, fmt, title="Budgets")


@budgets_group.command("set")
@click.argument("name")
@click.option("--workload", "-w", default=None, help="Workload covered (scope workload or user)")
@click.option("--user", "-u", default=None, help="User within --workload (scope user)")
@click.option(
    "--each-user", is_flag=True, help="A default per-user budget: applies to each user of --workload separately"
)
@click.option("--team", default=None, help="Team covered (scope team)")
@click.option("--key", "key_id", default=None, help="API key id covered (scope key)")
@click.option("--amount", "amount_usd", required=True, help="USD per period, e.g. 250 or 12.50")
@click.option("--period", default="monthly", show_default=True,
              type=click.Choice(["daily", "weekly", "monthly", "fixed"]))  # fmt: skip
@click.option("--start", default=None, help="fixed window start: ISO date/time (UTC) or epoch")
@click.option("--end", default=None, help="fixed window end")
@click.option("--alert-at", default=",".join(map(str, DEFAULT_THRESHOLDS)), show_default=True,
              help="soft thresholds in % of the amount")  # fmt: skip
@click.option("--hard/--soft", "hard", default=True, show_default=True, help="Block calls past it, or only alert")
@click.option("--webhook", default=None, help="Webhook URL for this budget's alerts (else alerts.webhook_url)")
@config_option
def set_command(
    name: str,
    workload: str | None,
    user: str | None,
    each_user: bool,
    team: str | None,
    key_id: str | None,
    amount_usd: str,
    period: str,
    start: str | None,
    end: str | None,
    alert_at: str,
    hard: bool,
    webhook: str | None,
    config_path: str | None,
) -> None:
    """Create or replace budget NAME; the scope follows from --user, --team, --key or --workload."""
    scope = "user" if user or each_user else "team" if team else "key" if key_id else "workload"
    try:
        thresholds = tuple(int(t) for t in alert_at.split(",") if t.strip())
    except ValueError:
        raise InvalidRequest(f"--alert-at {alert_at!r}: write whole percentages, e.g. 50,80,100") from None
    now = time.time()
    request = BudgetRequest(
        name=name,
        scope=scope,
        amount_usd=amount_usd,
        period=period,
        workload=workload,
        user=user,
        each_user=each_user,
        team=team,
        key_id=key_id,
        starts_at=parse_time(start, now, "--start"),
        ends_at=parse_time(end, now, "--end"),
        thresholds=thresholds,
        hard=hard,
        webhook_url=webhook,
    )
    budget = set_budget(open_store(config_path), request)
    click.echo(
        f"budget {budget.name}: {budget.target}, ${usd(budget.amount_nano):,.2f} {budget.period.value}, "
        f"{'hard' if budget.hard else 'soft'}, alerts at {', '.join(f'{t}%' for t in budget.thresholds)}"
    )


@budgets_group.command("status")
@click.argument("name", required=False)
@config_option
@format_option("table", "json", "csv")
def status_command(name: str | None, config_path: str | None, fmt: str) -> None:
    """Spend this period, per budget (or just NAME), from the request log."""
    engine = open_store(config_path)
    budgets = list_budgets(engine) if name is None else [_find(engine, name)]
    now = time.time()
    rows = [status_dict(budget_status(engine, b, now)) for b in budgets]
    for workload in sorted({b.workload for b in budgets if b.workload}):
        record_read(engine, "budget_status", workload)
    emit(rows, STATUS_COLUMNS, fmt, title="Budgets this period")


@budgets_group.command("delete")
@click.argument("name")
@config_option
def delete_command(name: str, config_path: str | None) -> None:
    """Delete budget NAME (gateways stop enforcing it within a second)."""
    if not delete_budget(open_store(config_path), name, time.time()):
        raise NotFound(f"no budget named {name!r}; see `rungway budgets list`")
    click.echo(f"budget {name} deleted")


@budgets_group.command("events")
@click.argument("name", required=False)
@click.option("--kind", type=click.Choice(["blocked", "threshold", "alert_sent", "alert_failed"]), default=None)
@click.option("--since", default="7d", show_default=True, help="7d, 24h, an ISO date or epoch seconds")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@config_option
@format_option("table", "json", "csv")
def events_command(
    name: str | None, kind: str | None, since: str, limit: int, config_path: str | None, fmt: str
) -> None:
    """Blocked calls, thresholds reached and alert deliveries, newest first."""
    engine = open_store(config_path)
    budget_id = _find(engine, name).id if name else None
    events = list_events(engine, budget_id, kind, parse_time(since, time.time(), "--since"), limit)
    rows: list[dict[str, Any]] = [event_dict(e) for e in events]
    emit(rows, EVENT_COLUMNS, fmt, title="Budget events")


def _find(engine: Any, name: str) -> Any:
    budget = get_budget(engine, name)
    if budget is None:
        raise NotFound(f"no budget named {name!r}; see `rungway budgets list`")
    return budget
