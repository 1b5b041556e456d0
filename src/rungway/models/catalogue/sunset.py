"""Sunset alerts: owners hear 90, 60 and 30 days (`catalogue.sunset_alerts`) before a model they use goes away.

Off the hot path: a background task reads which models the workloads called in the last 30 days
from the request log (one grouped SQL query, in a thread), at start and then once a day. For each
used catalogue model with a sunset date ahead, it sends the nearest threshold reached (25 days
left: the 30-day alert, not also the 90- and 60-day ones) through the alerts door, claimed once per
(model, sunset date, threshold) across replicas. A model nobody used stays quiet.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import Engine, func, select

from rungway.alerts.public import AlertEvent, AlertResult, Alerts
from rungway.models.catalogue.entry import CatalogueEntry
from rungway.store.schema import requests

__all__ = ["SunsetDue", "SunsetWatch", "due_alerts", "models_used"]

log = logging.getLogger("rungway.models.catalogue")

USAGE_WINDOW_S = 30 * 86_400.0
CHECK_EVERY_S = 86_400.0
CLAIM_MARGIN_S = 7 * 86_400.0


@dataclass(frozen=True, slots=True)
class ModelUse:
    """Calls to one catalogue model in the window, and by which workloads."""

    entry: CatalogueEntry
    calls: int = 0
    workloads: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SunsetDue:
    """One alert due: a used model, the threshold reached and the days left."""

    use: ModelUse
    threshold: int
    days_left: int
    extra: dict[str, str] = field(default_factory=dict)


def models_used(engine: Engine, since: float, find: Callable[[str], CatalogueEntry | None]) -> list[ModelUse]:
    """Catalogue models the request log shows in use since `since` (by requested or resolved name)."""
    query = (
        select(requests.c.workload, requests.c.model_requested, requests.c.model_resolved, func.count())
        .where(requests.c.ts_start >= since)
        .group_by(requests.c.workload, requests.c.model_requested, requests.c.model_resolved)
    )
    calls: dict[str, int] = {}
    workloads: dict[str, set[str]] = {}
    entries: dict[str, CatalogueEntry] = {}
    with engine.connect() as conn:
        for workload, requested, resolved, count in conn.execute(query):
            seen: set[str] = set()
            for name in (requested, resolved):
                entry = find(name) if name else None
                if entry is None or entry.name in seen:
                    continue
                seen.add(entry.name)
                entries[entry.name] = entry
                calls[entry.name] = calls.get(entry.name, 0) + int(count)
                if workload:
                    workloads.setdefault(entry.name, set()).add(workload)
    return [ModelUse(entries[n], calls[n], tuple(sorted(workloads.get(n, ())))) for n in sorted(entries)]


def due_alerts(used: Sequence[ModelUse], today: date, thresholds: Sequence[int]) -> list[SunsetDue]:
    """For each used model with a sunset ahead, the nearest threshold reached (if any)."""
    out: list[SunsetDue] = []
    for use in used:
        sunset = use.entry.sunset_on
        if sunset is None or sunset < today:
            continue
        days_left = (sunset - today).days
        reached = [t for t in thresholds if days_left <= t]
        if reached:
            out.append(SunsetDue(use, min(reached), days_left))
    return out


def payload(due: SunsetDue, now: float) -> dict[str, object]:
    entry = due.use.entry
    return {
        "type": "model.sunset_approaching",
        "model": entry.name,
        "provider": entry.provider,
        "snapshot": entry.snapshot,
        "status": entry.status.value,
        "deprecated": entry.deprecated_on.isoformat() if entry.deprecated_on else None,
        "sunset": entry.sunset_on.isoformat() if entry.sunset_on else None,
        "days_left": due.days_left,
        "threshold_days": due.threshold,
        "successor": entry.successor,
        "owner": entry.owner,
        "calls_last_30_days": due.use.calls,
        "workloads": list(due.use.workloads),
        "sent_at": datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z"),
    }


class SunsetWatch:
    """The daily (and at start) scan of models in use, and the alerts it sends."""

    def __init__(
        self,
        engine: Engine,
        find: Callable[[str], CatalogueEntry | None],
        sender: Callable[[], Alerts | None],
        thresholds: Sequence[int],
    ) -> None:
        self._engine = engine
        self._find = find
        self._sender = sender
        self.thresholds = tuple(thresholds)
        self._task: asyncio.Task[None] | None = None
        self.results: list[AlertResult] = []

    async def check(self, now: float | None = None) -> list[SunsetDue]:
        """Scan once; send each due alert this replica is first to claim. Returns the alerts due."""
        sender = self._sender()
        if sender is None or sender.settings.webhook_url is None or not self.thresholds:
            return []  # nowhere to send: claim nothing, so a webhook configured later still hears of it
        now = time.time() if now is None else now
        used = await asyncio.to_thread(models_used, self._engine, now - USAGE_WINDOW_S, self._find)
        due = due_alerts(used, datetime.fromtimestamp(now, UTC).date(), self.thresholds)
        for item in due:
            entry = item.use.entry
            key = f"model-sunset:{entry.name}:{entry.sunset_on}:{item.threshold}"
            ttl = item.days_left * 86_400.0 + CLAIM_MARGIN_S
            await sender.send(
                AlertEvent("model.sunset_approaching", key, payload(item, now)), ttl, on_result=self._done
            )
        return due

    def _done(self, result: AlertResult) -> None:
        self.results = [*self.results[-99:], result]
        if not result.delivered:
            log.warning("sunset alert %s to %s failed: %s", result.event.key, result.url, result.problem)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:  # a store outage: try again at the next tick
                log.exception("could not check model sunsets")
            await asyncio.sleep(CHECK_EVERY_S)
