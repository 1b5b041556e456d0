"""Budget threshold alerts: a JSON POST to a webhook, retried with backoff, once per threshold per period.

Once-ness across replicas comes from the counters backend (`claim_once`, shared through Redis
when there are several replicas); the request path only claims and queues, and the POST happens
in a background task. Every alert leaves a `threshold` event and then `alert_sent` or
`alert_failed` in the budget event log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from rungway.budgets.model import Budget, counter_ttl_s, mask_urls, masked_url
from rungway.budgets.service import budget_dict, iso
from rungway.budgets.store import BudgetEvent
from rungway.counters.base import Counters
from rungway.domain.ids import new_id
from rungway.domain.pricing import usd
from rungway.errors import ConfigError
from rungway.settings.config import Config
from rungway.settings.sections import ConfigMapping, ConfigSection, tracked
from rungway.store.writer import BatchWriter

log = logging.getLogger("rungway.alerts")


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """The `alerts:` section of rungway.yaml."""

    webhook_url: str | None = None
    attempts: int = 5
    backoff_s: float = 0.5
    timeout_s: float = 5.0

    @classmethod
    def from_config(cls, config: Config) -> AlertSettings:
        return config.section(ALERTS_SECTION)

    @classmethod
    def parse(cls, section: object, source: str) -> AlertSettings:
        raw = tracked({} if section is None else section, "alerts", source)
        if not isinstance(raw, ConfigMapping):
            raise ConfigError(f"{source}: alerts: expected a mapping. Fix: indent `webhook_url:` under it")
        url = raw.get("webhook_url")
        if url is not None and not str(url).startswith(("http://", "https://")):
            raise raw.error(
                "alerts.webhook_url", f"{url!r} is not a URL", "write e.g. https://hooks.example.com/rungway"
            )
        numbers = {}
        for key, default in (("attempts", 5), ("backoff_ms", 500), ("timeout_ms", 5000)):
            value = raw.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problem = f"expected a whole number >= 1, got {value!r}"
                raise raw.error(f"alerts.{key}", problem, f"write e.g. {default}")
            numbers[key] = value
        raw.reject_unknown_keys()
        return cls(url, numbers["attempts"], numbers["backoff_ms"] / 1000, numbers["timeout_ms"] / 1000)


ALERTS_SECTION = ConfigSection("alerts", AlertSettings.parse)
"""`alerts:` in rungway.yaml."""


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
    """Claims each (budget, period, threshold) once and delivers its webhook in the background."""

    def __init__(self, settings: AlertSettings, counters: Counters, events: BatchWriter[BudgetEvent]) -> None:
        self.settings = settings
        self._counters = counters
        self._events = events
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.claim_errors = 0

    async def crossed(
        self, budget: Budget, thresholds: list[int], spent_nano: int, period: tuple[float, float]
    ) -> None:
        """Alert for each threshold this replica is the first to claim in this period."""
        ttl = counter_ttl_s(period[1], time.time())
        for threshold in thresholds:
            try:
                who = f":user:{budget.user}" if budget.each_user else ""  # a default per-user budget alerts per user
                first = await self._counters.claim_once(f"alert:{budget.id}:{int(period[0])}:{threshold}{who}", ttl)
            except Exception as exc:  # noqa: BLE001 - a lost alert is logged and counted, the call goes on
                self.claim_errors += 1
                log.warning("could not claim alert for budget %s at %d%%: %s", budget.name, threshold, exc)
                continue
            if first:
                self._event(budget, "threshold", threshold, spent_nano, period[0], f"{threshold}% of budget reached")
                task = asyncio.get_running_loop().create_task(self._deliver(budget, threshold, spent_nano, period))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

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

    async def _deliver(self, budget: Budget, threshold: int, spent: int, period: tuple[float, float]) -> None:
        url = budget.webhook_url or self.settings.webhook_url
        if url is None:
            return
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.settings.timeout_s))
        payload = alert_payload(budget, threshold, spent, period)
        shown = masked_url(url)  # events and logs never carry the webhook's secret path or query
        delay = self.settings.backoff_s
        problem = ""
        for attempt in range(1, self.settings.attempts + 1):
            try:
                async with self._session.post(url, json=payload) as response:
                    if response.status < 300:
                        self._event(budget, "alert_sent", threshold, spent, period[0], f"POST {shown}: {attempt} tries")
                        return
                    problem = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = f"{exc.__class__.__name__}: {exc}"
            log.warning("budget alert to %s failed (attempt %d): %s", shown, attempt, problem)
            if attempt < self.settings.attempts:
                await asyncio.sleep(delay)
                delay *= 2
        self._event(budget, "alert_failed", threshold, spent, period[0], f"POST {shown}: {mask_urls(problem)}")

    async def close(self, timeout_s: float = 10.0) -> None:
        """Give alerts in flight a chance to be delivered, then close the HTTP session."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout_s)
            for task in self._tasks:
                task.cancel()
        if self._session is not None:
            await self._session.close()
