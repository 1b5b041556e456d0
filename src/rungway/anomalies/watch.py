"""The server's background loop: every `anomalies.tick_s`, roll up the closed hours, judge them, and alert.

Each opened or resolved anomaly goes to the on-call webhook through the alerts door (`rungway.alerts.public`)
as `anomaly.opened` / `anomaly.resolved`, keyed by the episode's id: the replica that judged the hour (the
compare-and-set in `service.evaluate_workload`) sends it, and the alerts capability's claim makes it once
across replicas even so. Without the alerts capability the anomalies stay listed by `/api/anomalies`, the
CLI and the dashboard. The database work runs in a worker thread, never on the gateway's loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from sqlalchemy import Engine

from rungway.alerts.public import AlertEvent, alerts_of
from rungway.anomalies.config import AnomaliesConfig
from rungway.anomalies.model import metric_named
from rungway.anomalies.service import Change, evaluate
from rungway.capability import StateKey
from rungway.gateway.slots import Slots

__all__ = ["WATCHER", "AnomalyWatcher", "alert_events"]

log = logging.getLogger("rungway.anomalies.watch")
CLAIM_TTL_S = 30 * 86400.0  # an episode's alert is sent at most once in this time


def alert_events(changes: Sequence[Change]) -> list[AlertEvent]:
    """The webhook events of these changes, one per episode and kind."""
    out = []
    for change in changes:
        a = change.anomaly
        metric = metric_named(a.metric)
        payload = {
            "type": f"anomaly.{change.kind}", "id": a.id, "workload": a.workload, "metric": a.metric,
            "title": metric.title, "unit": metric.unit, "opened_at": a.opened_at, "resolved_at": a.resolved_at,
            "value": a.value, "expected": a.expected, "z": round(a.z, 2), "dimension": a.dimension,
            "dimension_value": a.dimension_value, "traces": list(a.traces),
        }  # fmt: skip
        out.append(AlertEvent(f"anomaly.{change.kind}", f"anomaly:{a.id}:{change.kind}", payload))
    return out


class AnomalyWatcher:
    """Runs on the server's loop; `tick` is also what tests call."""

    def __init__(self, engine: Engine, config: AnomaliesConfig, slots: Slots | None = None) -> None:
        self.engine = engine
        self.config = config
        self.slots = slots
        self.ticks = 0

    async def tick(self, now: float | None = None) -> list[Change]:
        """One evaluation; its changes, sent to the webhook when the alerts capability is installed."""
        changes = await asyncio.to_thread(evaluate, self.engine, self.config, time.time() if now is None else now)
        sender = alerts_of(self.slots) if self.slots is not None else None
        if sender is not None:
            for event in alert_events(changes):
                await sender.send(event, claim_ttl_s=CLAIM_TTL_S)
        self.ticks += 1
        return changes

    async def run_forever(self) -> None:
        """Tick every `tick_s`, the first one `tick_s` after start (a restart loop does not re-roll at once)."""
        while True:
            await asyncio.sleep(self.config.tick_s)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed tick (a store outage) is logged; the next one tries again
                log.exception("anomaly detection tick failed")


WATCHER: StateKey[AnomalyWatcher] = StateKey("anomalies.watcher")
