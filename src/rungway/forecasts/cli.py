"""`rungway forecast spend --by workload|team|model|user [--days 7|30]` and `rungway forecast budgets`.

The forecast reads the store directly (bringing the daily roll-up up to date first), so it works with or
without a server running. `spend` ends with the budgets' exhaustion dates, `budgets` shows them alone with the
alert episodes.
"""

from __future__ import annotations

import json
import sys

import click

from rungway.cli.options import command_config, config_option, format_option, open_store
from rungway.cli.render import Column, console, emit, fmt_usd
from rungway.forecasts.config import FORECASTS_SECTION, ForecastSettings
from rungway.forecasts.service import BY, budget_outlooks, forecast_spend
from rungway.forecasts.shapes import episode_dict, outlook_dict, spend_forecast_dict, visible_episodes
from rungway.store.reads import record_read

__all__ = ["forecast_group"]

_when = lambda v: "—" if v is None else str(v).replace("T", " ")[:16]  # noqa: E731 - a column formatter
_money = lambda v: "—" if v is None else fmt_usd(v)  # noqa: E731 - a column formatter

GROUP_COLUMNS = [
    Column("key", "Key", lambda v: "(none)" if v is None else str(v)),
    Column("history_days", "History (days)", str, justify="right"),
    Column("last_7d_usd", "Last 7 days", fmt_usd, justify="right"),
    Column("lower_usd", "Low", fmt_usd, justify="right"),
    Column("forecast_usd", "Forecast", fmt_usd, justify="right"),
    Column("upper_usd", "High", fmt_usd, justify="right"),
    Column("method", "Method"),
]
BUDGET_COLUMNS = [
    Column("budget", "Budget"),
    Column("target", "Covers"),
    Column("amount_usd", "Limit", fmt_usd, justify="right"),
    Column("spent_usd", "Spent", fmt_usd, justify="right"),
    Column("period_forecast_usd", "Period forecast", _money, justify="right"),
    Column("period_end", "Period ends", _when),
    Column("exhausts_at", "Runs out", _when),
    Column("exhausts_earliest", "Earliest", _when),
    Column("exhausts_latest", "Latest", _when),
    Column("note", "Note"),
]


def _settings(config_path: str | None) -> ForecastSettings:
    return command_config(config_path).section(FORECASTS_SECTION)


@click.group("forecast")
def forecast_group() -> None:
    """Spend forecasts with intervals, and when each budget runs out."""


@forecast_group.command("spend")
@click.option("--by", "by", type=click.Choice(list(BY)), default="workload", show_default=True)
@click.option("--days", type=click.Choice(["7", "30"]), default="7", show_default=True, help="The horizon")
@click.option("--workload", "-w", default=None, help="Only this workload's calls")
@config_option
@format_option("table", "csv", "json")
def spend_command(by: str, days: str, workload: str | None, config_path: str | None, fmt: str) -> None:
    """The next 7 or 30 days' spend per key, with its interval, then the budgets' exhaustion dates."""
    engine = open_store(config_path)
    settings = _settings(config_path)
    found = forecast_spend(engine, by, int(days), workload, None, settings)
    outlooks = budget_outlooks(engine, workload, True, None, settings)
    record_read(engine, "cost_report", workload)  # a forecast read is a cost read
    data = spend_forecast_dict(found)
    budgets = [outlook_dict(o) for o in outlooks]
    if fmt == "json":
        sys.stdout.write(json.dumps({**data, "budgets": budgets}, indent=2) + "\n")
        return
    level = f"{found.level:.0%}"
    title = f"Spend by {by}, next {days} days from {data['from']} ({level} interval)"
    emit(data["groups"], GROUP_COLUMNS, fmt, title=title)
    if fmt == "csv":
        return
    if found.omitted:
        console().print(f"{found.omitted} more {by} key(s) with less spend are not forecast")
    emit(budgets, BUDGET_COLUMNS, fmt, title="Budgets: when each runs out at the forecast rate")


@forecast_group.command("budgets")
@click.option("--workload", "-w", default=None, help="Only budgets of this workload")
@config_option
@format_option("table", "csv", "json")
def budgets_command(workload: str | None, config_path: str | None, fmt: str) -> None:
    """Each budget's spend so far, its period forecast and the date it runs out, with the alert episodes."""
    engine = open_store(config_path)
    outlooks = budget_outlooks(engine, workload, True, None, _settings(config_path))
    episodes = [episode_dict(e) for e in visible_episodes(engine, workload, True, 20)]
    record_read(engine, "cost_report", workload)  # a forecast read is a cost read
    budgets = [outlook_dict(o) for o in outlooks]
    if fmt == "json":
        sys.stdout.write(json.dumps({"budgets": budgets, "alerts": episodes}, indent=2) + "\n")
        return
    emit(budgets, BUDGET_COLUMNS, fmt, title="Budgets: when each runs out at the forecast rate")
    if fmt != "csv" and episodes:
        columns = [Column("opened_at", "Opened", _when), Column("closed_at", "Closed", _when),
                   Column("message", "Alert")]  # fmt: skip
        emit(episodes, columns, fmt, title="Exhaustion alerts")
