"""The alert sender: claim an alert once across replicas, then POST it in the background with retries.

Once-ness comes from the counters backend (`claim_once`, shared through Redis when there are
several replicas): the caller only claims and queues; the POST happens in a task, retried with
doubling backoff, and its outcome goes back to the caller's `on_result` (budgets record it in their
event log). URLs are masked in every log line and result. `close()` gives alerts in flight a chance
to land at shutdown, then closes the HTTP session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from rungway.alerts.config import AlertSettings
from rungway.alerts.urls import mask_urls, masked_url
from rungway.counters.base import Counters

__all__ = ["AlertEvent", "AlertResult", "Alerts"]

log = logging.getLogger("rungway.alerts")


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One alert: its kind (`budget.threshold_crossed`, `model.sunset_approaching`), the key that makes it
    once-only across replicas, and the JSON body the webhook receives."""

    kind: str
    key: str
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AlertResult:
    """How a delivery ended: delivered or not, after how many POSTs, and what went wrong (URLs masked)."""

    event: AlertEvent
    delivered: bool
    attempts: int
    url: str  # masked
    problem: str = ""


ResultHook = Callable[[AlertResult], None]


class Alerts:
    """Claims each alert once and delivers its webhook in the background."""

    def __init__(self, settings: AlertSettings, counters: Counters) -> None:
        self.settings = settings
        self._counters = counters
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.claim_errors = 0
        self.sent = 0
        self.failed = 0

    async def claim(self, event: AlertEvent, claim_ttl_s: float) -> bool:
        """True when this replica is the first to claim the alert (False too when the claim failed: logged)."""
        try:
            return await self._counters.claim_once(event.key, max(1, int(claim_ttl_s)))
        except Exception as exc:  # noqa: BLE001 - a lost alert is logged and counted, the caller goes on
            self.claim_errors += 1
            log.warning("could not claim alert %s: %s", event.key, exc)
            return False

    async def send(
        self,
        event: AlertEvent,
        claim_ttl_s: float,
        *,
        url: str | None = None,
        on_result: ResultHook | None = None,
    ) -> bool:
        """Claim the alert; when this replica is first, POST it in the background (to `url`, else
        `alerts.webhook_url`; with neither it is claimed and not sent). True when claimed here."""
        if not await self.claim(event, claim_ttl_s):
            return False
        self.deliver(event, url=url, on_result=on_result)
        return True

    def deliver(self, event: AlertEvent, *, url: str | None = None, on_result: ResultHook | None = None) -> None:
        """POST an already claimed alert in the background."""
        target = url or self.settings.webhook_url
        if target is None:
            return
        task = asyncio.get_running_loop().create_task(self._deliver(event, target, on_result))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event: AlertEvent, url: str, on_result: ResultHook | None) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.settings.timeout_s))
        shown = masked_url(url) or ""
        delay = self.settings.backoff_s
        problem = ""
        for attempt in range(1, self.settings.attempts + 1):
            try:
                async with self._session.post(url, json=dict(event.payload)) as response:
                    if response.status < 300:
                        self.sent += 1
                        self._report(on_result, AlertResult(event, True, attempt, shown))
                        return
                    problem = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = f"{exc.__class__.__name__}: {exc}"
            log.warning("%s alert to %s failed (attempt %d): %s", event.kind, shown, attempt, mask_urls(problem))
            if attempt < self.settings.attempts:
                await asyncio.sleep(delay)
                delay *= 2
        self.failed += 1
        self._report(on_result, AlertResult(event, False, self.settings.attempts, shown, mask_urls(problem)))

    @staticmethod
    def _report(on_result: ResultHook | None, result: AlertResult) -> None:
        if on_result is None:
            return
        try:
            on_result(result)
        except Exception:  # a sender's bookkeeping never breaks delivery
            log.exception("an alert result hook failed")

    async def close(self, timeout_s: float = 10.0) -> None:
        """Give alerts in flight a chance to be delivered, then close the HTTP session."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout_s)
            for task in self._tasks:
                task.cancel()
        if self._session is not None:
            await self._session.close()
            self._session = None
