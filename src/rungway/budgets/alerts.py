"""Budget threshold alerts: once per threshold per period, through the alerts door (`rungway.alerts.public`).

The request path only claims and queues (`Alerts.send`: once across replicas through the counters
backend, the POST with retries in a background task). Every claimed alert leaves a `threshold`
event and then `alert_sent` or `alert_failed` in the budget event log. A budget's own webhook URL
wins over `alerts.webhook_url`. The sender is looked up when an alert is sent (the alerts
capability puts it on the server's slots), so install order does not matter.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from rungway.alerts.public import AlertEvent, AlertResult, Alerts
from rungway.budgets.model import Budget, counter_ttl_s
from rungway.budgets.service import budget_dict, iso
from rungway.budgets.store import BudgetEvent
from rungway.domain.ids import new_id
from rungway.domain.pricing import usd
from rungway.store.writer import BatchWriter

__all__ = ["BudgetAlerts", "alert_payload"]

log = logging.getLogger("rungway.alerts")


def alert_payload(budget: Budget, threshold: int, spent_nano: int, period: tuple[float, float]) -> dict[str, Any]:
    return {
        "type": "budget.threshold_crossed",
        "threshold_percent": threshold,
        "budget": budget_dict(budget),
        "spent_nano": spent_nano,
        "spent_usd": usd(spent_nano),
        "limit_usd": usd(budget.amount_nano),
        "period_start": iso(period[0]),
        "resets_at": iso(period[1]),
        "sent_at": iso(time.time()),
    }


class BudgetAlerts:
    """Claims each (budget, period, threshold) once and has the alerts door deliver its webhook."""

    def __init__(self, sender: Callable[[], Alerts | None], events: BatchWriter[BudgetEvent]) -> None:
        self._sender = sender
        self._events = events
        self._warned = False

    @property
    def claim_errors(self) -> int:
        sender = self._sender()
        return sender.claim_errors if sender is not None else 0

    async def crossed(
        self, budget: Budget, thresholds: list[int], spent_nano: int, period: tuple[float, float]
    ) -> None:
        """Alert for each threshold this replica is the first to claim in this period."""
        sender = self._sender()
        if sender is None:
            if not self._warned:
                log.warning("budget thresholds crossed but the alerts capability is not installed: no alerts")
                self._warned = True
            return
        ttl = counter_ttl_s(period[1], time.time())
        for threshold in thresholds:
            who = f":user:{budget.user}" if budget.each_user else ""  # a default per-user budget alerts per user
            key = f"alert:{budget.id}:{int(period[0])}:{threshold}{who}"
            event = AlertEvent("budget.threshold_crossed", key, alert_payload(budget, threshold, spent_nano, period))
            if not await sender.claim(event, ttl):
                continue
            self._event(budget, "threshold", threshold, spent_nano, period[0], f"{threshold}% of budget reached")

            def done(result: AlertResult, threshold: int = threshold) -> None:
                kind, note = ("alert_sent", f"{result.attempts} tries") if result.delivered else ("alert_failed", "")
                message = f"POST {result.url}: {note or result.problem}"
                self._event(budget, kind, threshold, spent_nano, period[0], message)

            sender.deliver(event, url=budget.webhook_url, on_result=done)

    def _event(self, budget: Budget, kind: str, threshold: int, spent: int, period_start: float, msg: str) -> None:
        self._events.offer(
            BudgetEvent(
                id=new_id("bev_"),
                budget_id=budget.id,
                ts=time.time(),
                kind=kind,
                period_start=period_start,
                threshold=threshold,
                spent_nano=spent,
                limit_nano=budget.amount_nano,
                workload=budget.workload if budget.each_user else None,
                user_id=budget.user if budget.each_user else None,  # which user a default per-user budget alerted
                message=msg,
            )
        )
