"""Budget-exhaustion alerts: when a budget's forecast runs out inside its period, one alert per episode.

An episode opens the first time the forecast's exhaustion date falls before the period's end and closes when
it no longer does (spend slowed, the budget was raised) or the period ends; a later relapse in the same period
is a new episode. Each replica's loop evaluates every budget, but an episode is opened by one of them only (its
id is the budget, the period and the episode's number, stored with a primary key), and the alerts capability
claims the event once across replicas again by that id. Without the alerts capability (or a webhook) the
episodes stay listed by `/api/forecasts/alerts`, `rungway forecast budgets` and the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Engine

from rungway.alerts.public import AlertEvent, Alerts
from rungway.domain.pricing import usd
from rungway.forecasts.service import BudgetOutlook
from rungway.forecasts.store import AlertEpisode, close_episode, episodes_in_period, open_episode, open_episodes

__all__ = ["KIND", "Opened", "alert_event", "evaluate_episodes", "send_opened"]

KIND = "forecasts.budget_exhaustion"
KEEP_CLAIM_S = 86_400.0  # an episode's claim outlives its period by a day


def _date(ts: float | None) -> str:
    return "beyond the forecast" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


class Opened(NamedTuple):
    """An episode this replica opened, and where its alert goes: the budget's own webhook, else `alerts:`'s."""

    episode: AlertEpisode
    webhook_url: str | None


def evaluate_episodes(engine: Engine, outlooks: Sequence[BudgetOutlook], now: float) -> list[Opened]:
    """Open an episode for each budget now forecast to run out in its period (unless one is open), close
    the open ones that no longer are; returns the episodes this call opened (to alert on)."""
    current = open_episodes(engine)
    opened: list[Opened] = []
    seen: set[tuple[str, float]] = set()
    for o in outlooks:
        key = (o.budget.id, o.period_start)
        seen.add(key)
        runs_out = o.exhaustion is not None and o.exhaustion.in_period and o.exhaustion.at is not None
        episode = current.get(key)
        if episode is not None and not runs_out:
            close_episode(engine, episode.id, now)
        if episode is not None or not runs_out or o.exhaustion is None or o.exhaustion.at is None:
            continue
        number = episodes_in_period(engine, o.budget.id, o.period_start) + 1
        message = (f"budget {o.budget.name} ({o.budget.target}) is forecast to run out {_date(o.exhaustion.at)} "
                   f"(range {_date(o.exhaustion.earliest)} to {_date(o.exhaustion.latest)}), before its period "
                   f"ends {_date(o.period_end)}; ${usd(o.remaining_nano):,.2f} left")[:500]  # fmt: skip
        new = AlertEpisode(f"{o.budget.id}:{int(o.period_start)}:{number}", o.budget.id, o.budget.name,
                           o.budget.workload, o.period_start, o.period_end, o.exhaustion.at, o.exhaustion.earliest,
                           o.exhaustion.latest, now, None, message)  # fmt: skip
        if open_episode(engine, new):
            opened.append(Opened(new, o.budget.webhook_url))
    for key, episode in current.items():
        if key not in seen:  # the period ended or the budget is gone
            close_episode(engine, episode.id, now)
    return opened


def alert_event(episode: AlertEpisode) -> AlertEvent:
    payload: dict[str, Any] = {
        "type": KIND,
        "budget": episode.budget_name,
        "budget_id": episode.budget_id,
        "workload": episode.workload,
        "period_start": episode.period_start,
        "period_end": episode.period_end,
        "exhaust_at": episode.exhaust_at,
        "earliest": episode.earliest,
        "latest": episode.latest,
        "message": episode.message,
    }
    return AlertEvent(KIND, f"forecasts:{episode.id}", payload)


async def send_opened(sender: Callable[[], Alerts | None], opened: Sequence[Opened], now: float) -> int:
    """Hand each opened episode's alert to the alerts capability (to the budget's own webhook when it has one,
    like its threshold alerts); how many (0 without the alerts capability)."""
    alerts = sender()
    if alerts is None:
        return 0
    for episode, url in opened:
        ttl = max(episode.period_end - now, 0.0) + KEEP_CLAIM_S
        await alerts.send(alert_event(episode), claim_ttl_s=min(ttl, 400 * 86_400.0), url=url)
    return len(opened)
