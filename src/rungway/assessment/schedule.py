"""The scheduled re-assessment on the server, and the drift webhook.

Every `assessment.refresh` the hourly request roll-up catches up (so that an assessment never
scans the whole log); every `assessment.interval` (default weekly) the workloads are assessed
and stored. With several replicas, a run is skipped when another replica's scheduled run is
recent enough. Drift is posted as JSON to `assessment.webhook.url`, retried with backoff.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
import orjson
from sqlalchemy import Engine

from rungway.assessment.config import AssessmentSettings, WebhookSettings
from rungway.assessment.facts import refresh_rollup
from rungway.assessment.model import Drift
from rungway.assessment.store import last_run_at

log = logging.getLogger("rungway.assessment.schedule")

RunScheduled = Callable[[float], Sequence[Drift]]


def drift_payload(drifts: Sequence[Drift], assessed_at: float) -> dict[str, Any]:
    return {
        "event": "maturity.drift",
        "assessed_at": assessed_at,
        "drifts": [d.to_dict() for d in drifts],
    }


async def post_webhook(session: aiohttp.ClientSession, hook: WebhookSettings, payload: dict[str, Any]) -> bool:
    """POST the payload; retry on errors and non-2xx answers. True when it was delivered."""
    body = orjson.dumps(payload)
    delay = hook.backoff_s
    for attempt in range(hook.retries + 1):
        try:
            async with session.post(
                hook.url,
                data=body,
                headers={"Content-Type": "application/json", "User-Agent": "rungway-assessment"},
                timeout=aiohttp.ClientTimeout(total=hook.timeout_s),
            ) as response:
                if 200 <= response.status < 300:
                    return True
                log.warning("drift webhook answered %s (attempt %d)", response.status, attempt + 1)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("drift webhook failed: %s (attempt %d)", exc, attempt + 1)
        if attempt < hook.retries:
            await asyncio.sleep(delay)
            delay *= 2
    log.error("drift webhook to %s not delivered after %d attempts", hook.url, hook.retries + 1)
    return False


class AssessmentScheduler:
    """Runs on the server's loop; the database work happens in worker threads."""

    def __init__(self, engine: Engine, settings: AssessmentSettings, run_scheduled: RunScheduled) -> None:
        self.engine = engine
        self.settings = settings
        self.run_scheduled = run_scheduled
        self.webhooks_sent = 0
        self.webhooks_failed = 0
        self._last_refresh = 0.0
        self._started = time.time()

    def tick_seconds(self) -> float:
        intervals = [self.settings.refresh_s, 60.0]
        if self.settings.interval_s is not None:
            intervals.append(self.settings.interval_s)
        return max(0.2, min(intervals))

    def _due(self, now: float) -> bool:
        interval = self.settings.interval_s
        if interval is None:
            return False
        # A fresh store waits one interval from start, so that restarts do not each trigger a run.
        last = last_run_at(self.engine, "scheduled") or self._started
        return now - last >= interval

    def _work(self, now: float) -> Sequence[Drift] | None:
        """Blocking: refresh the roll-up when due, assess when due. None when no assessment ran."""
        if now - self._last_refresh >= self.settings.refresh_s:
            refresh_rollup(self.engine, now)
            self._last_refresh = now
        if not self._due(now):
            return None
        return self.run_scheduled(now)

    async def tick(self, session: aiohttp.ClientSession) -> None:
        now = time.time()
        drifts = await asyncio.to_thread(self._work, now)
        if drifts and self.settings.webhook is not None:
            if await post_webhook(session, self.settings.webhook, drift_payload(drifts, now)):
                self.webhooks_sent += 1
            else:
                self.webhooks_failed += 1

    async def run_forever(self) -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    await self.tick(session)
                except Exception:  # a failed run is logged and retried next tick; serving goes on
                    log.exception("scheduled assessment failed")
                await asyncio.sleep(self.tick_seconds())
