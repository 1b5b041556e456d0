"""The SLO evaluation loop: roll-ups, status, history snapshots and burn-rate alerts, in the background.

Every `slos.tick_s` the server, for each stored SLO (in a worker thread, never on the gateway's path): moves
its hourly roll-up over closed hours, measures its window and burn windows (`measure.evaluate`), keeps the
status for `/metrics` (`latest`), stores a snapshot on each `snapshot_every` boundary (once across replicas:
the snapshot's key is its boundary), and compares each alert tier's condition with its stored state.

An alert is sent once per episode: when a tier's condition starts, the replica whose compare-and-set moves
the tier to firing (`store.begin_episode`) sends `slo.burn_rate` with `state: firing`; when it clears, the
replica that moves it back sends `state: resolved`. The webhook goes through the alerts capability
(`rungway.alerts.public`), whose claim (Redis across replicas) keys on the SLO, tier, episode and state, so a
transition is delivered once even if two processes raced past the store.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine

from rungway.alerts.public import AlertEvent, alerts_of
from rungway.capability import StateKey
from rungway.gateway.slots import Slots
from rungway.slos import store
from rungway.slos.burn import DAY, TIERS, AlertTier, SloStatus, window_label
from rungway.slos.config import SloConfig
from rungway.slos.measure import evaluate, refresh_rollup
from rungway.slos.store import AlertRecord, Definition

__all__ = ["CLAIM_TTL_S", "MONITOR", "SloMonitor", "Transition"]

log = logging.getLogger("rungway.slos")
CLAIM_TTL_S = 90 * 86400.0
_TIERS = {t.name: t for t in TIERS}


@dataclass(frozen=True, slots=True)
class Transition:
    """A tier that started or stopped firing, moved by this process."""

    slo: Definition
    tier: AlertTier
    state: str  # firing or resolved
    episode: int
    status: SloStatus

    def event(self) -> AlertEvent:
        slo = self.slo.slo
        long_burn = self.status.burn.get(window_label(self.tier.long_s), 0.0)
        short_burn = self.status.burn.get(window_label(self.tier.short_s), 0.0)
        payload = {
            "type": "slo.burn_rate", "state": self.state, "workload": slo.workload, "slo": slo.name,
            "kind": slo.kind, "objective": slo.objective, "tier": self.tier.name, "severity": self.tier.severity,
            "factor": self.tier.factor, "long_window": window_label(self.tier.long_s),
            "short_window": window_label(self.tier.short_s), "burn_rate_long": long_burn,
            "burn_rate_short": short_burn, "sli": self.status.sli,
            "error_budget_remaining": self.status.budget_remaining, "episode": self.episode, "at": self.status.at,
        }  # fmt: skip
        key = f"slo:{slo.workload}:{slo.name}:{self.slo.series}:{self.tier.name}:{self.episode}:{self.state}"
        return AlertEvent("slo.burn_rate", key, payload)


@dataclass
class SloMonitor:
    """Runs on the server's loop; the database work happens in worker threads."""

    engine: Engine
    config: SloConfig
    slots: Slots | None = None
    latest: dict[tuple[str, str], tuple[int, SloStatus]] = field(default_factory=dict)
    by_series: dict[str, SloStatus] = field(default_factory=dict)  # the lists read these instead of measuring
    ticks: int = 0
    last_tick_s: float = 0.0

    def evaluate_all(self, now: float) -> list[Transition]:
        """One evaluation of every SLO; the alert transitions this process moved."""
        started = time.perf_counter()
        moved: list[Transition] = []
        definitions = store.read_definitions(self.engine, None)
        boundary = math.floor(now / self.config.snapshot_every_s) * self.config.snapshot_every_s
        for definition in definitions:
            slo = definition.slo
            refresh_rollup(self.engine, definition, now)
            status = evaluate(self.engine, definition, now)
            self.latest[(slo.workload, slo.name)] = (slo.window_days, status)
            self.by_series[definition.series] = status
            store.write_snapshot(self.engine, slo, status, boundary)
            moved += self._alerts(definition, status, now)
        known = {(d.slo.workload, d.slo.name) for d in definitions}
        for key in [k for k in self.latest if k not in known]:
            del self.latest[key]
        series = {d.series for d in definitions}
        for gone in [k for k in self.by_series if k not in series]:
            del self.by_series[gone]
        if self.ticks % 60 == 0:
            store.prune_snapshots(self.engine, now - 400 * DAY)
        self.ticks += 1
        self.last_tick_s = time.perf_counter() - started
        return moved

    def _alerts(self, definition: Definition, status: SloStatus, now: float) -> list[Transition]:
        slo = definition.slo
        firing = set(status.firing)
        was = store.firing_tiers(self.engine, slo.workload, slo.name)
        moved = []
        for name in sorted(firing - was):
            episode = store.begin_episode(self.engine, slo.workload, slo.name, name, now)
            if episode is not None:
                moved.append(Transition(definition, _TIERS[name], "firing", episode, status))
        for name in sorted(was - firing):
            episode = store.end_episode(self.engine, slo.workload, slo.name, name, now)
            if episode is not None and name in _TIERS:
                moved.append(Transition(definition, _TIERS[name], "resolved", episode, status))
        for t in moved:
            burn = status.burn
            store.insert_alert(self.engine, AlertRecord(
                f"sloa_{secrets.token_hex(8)}", slo.workload, slo.name, t.tier.name, t.episode, t.state, now,
                burn.get(window_label(t.tier.long_s), 0.0), burn.get(window_label(t.tier.short_s), 0.0),
            ))  # fmt: skip
        return moved

    async def tick(self) -> list[Transition]:
        moved = await asyncio.to_thread(self.evaluate_all, time.time())
        sender = alerts_of(self.slots) if self.slots is not None else None
        if sender is not None:
            for transition in moved:
                await sender.send(transition.event(), claim_ttl_s=CLAIM_TTL_S)
        return moved

    async def run_forever(self) -> None:
        """Tick every `tick_s`, the first one `tick_s` after start (a server that just started has read no
        traffic yet; the pages and the API evaluate on demand meanwhile)."""
        while True:
            await asyncio.sleep(self.config.tick_s)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed tick (a store hiccup) is logged; the next one tries again
                log.exception("SLO evaluation tick failed")


MONITOR: StateKey[SloMonitor] = StateKey("slos.monitor")
"""The server's evaluation loop (`state.slots[MONITOR]`)."""
