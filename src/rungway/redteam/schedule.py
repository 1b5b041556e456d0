"""Scheduled red-team runs on the server: each workload's schedule (config or API) run when due, in the background.

Every `redteam.tick_s` the scheduler reads the schedules (the stored ones: those made through the API, and the
`redteam:` section's, synced into the store at start, replacing an API schedule of the same workload) and, for
each whose newest scheduled run started `every` ago or more (or that never ran), sends the attacks through this
server's own gateway (`redteam.server_url`, else the address the last `/api/redteam` request arrived on, else
`server.host:port`) and stores the run with `trigger: schedule`, its diff and its alerts, exactly as a CLI run is
stored. The calls need the workload's key: like the evals' server runs, the scheduler creates one internal
application key per workload (`rungway red team (server)`), keeps its secret in memory only, revokes an earlier
process's on first need and its own at shutdown. One run at a time; a failed run is logged and retried next tick.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from sqlalchemy import Engine

from rungway.capability import StateKey
from rungway.domain.keys import KeyKind, Role
from rungway.gateway.slots import Slots
from rungway.redteam import service
from rungway.redteam.client import GatewayChat
from rungway.redteam.config import RedTeamConfig, Schedule
from rungway.redteam.corpus import load_corpus
from rungway.redteam.grading import Scanner, default_scanner, planted_for
from rungway.redteam.notify import send_alerts
from rungway.redteam.runner import PromptChoice, RedTeamRunner, RunSettings
from rungway.redteam.service import RunInput
from rungway.services.keys import create_api_key
from rungway.store.keys import list_keys, revoke_key

__all__ = [
    "CONFIG_AUTHOR",
    "INTERNAL_KEY_NAME",
    "SCHEDULER",
    "RedTeamScheduler",
    "schedules_of",
    "sync_config_schedules",
]

log = logging.getLogger("rungway.redteam.schedule")
INTERNAL_KEY_NAME = "rungway red team (server)"


CONFIG_AUTHOR = "rungway.yaml"


def schedules_of(engine: Engine) -> dict[str, tuple[Schedule, str]]:
    """workload -> (schedule, source: "config" or "api"), from the store (configured ones are synced in at start)."""
    out: dict[str, tuple[Schedule, str]] = {}
    for row in service.schedules(engine, None):
        source = "config" if row["created_by"] == CONFIG_AUTHOR else "api"
        out[row["workload"]] = (Schedule(row["workload"], float(row["every_s"]), tuple(row["categories"]),
                                         row["prompt"], row["model"]), source)  # fmt: skip
    return out


def sync_config_schedules(engine: Engine, config: RedTeamConfig) -> None:
    """Store the `redteam:` section's schedules (they replace the workload's API schedule) and drop the ones
    an earlier configuration named that this one does not."""
    for workload, (_, source) in schedules_of(engine).items():
        if source == "config" and workload not in config.schedules:
            service.delete_schedule(engine, workload)
    for s in config.schedules.values():
        service.put_schedule(engine, s.workload, s.every_s, s.categories, s.prompt, s.model, CONFIG_AUTHOR)


@dataclass
class _Key:
    id: str
    secret: str


class RedTeamScheduler:
    """Runs on the server's loop; the database work happens in worker threads."""

    def __init__(
        self,
        engine: Engine,
        config: RedTeamConfig,
        default_url: str,
        scanner: Scanner | None = None,
        slots: Slots | None = None,
    ) -> None:
        self.engine = engine
        self.slots = slots  # the server's, for the alerts door (None in tests that run a schedule alone)
        self.config = config
        self.server_url = config.server_url
        self.default_url = default_url
        self.scanner = scanner if scanner is not None else default_scanner()
        self.runs = 0
        self._keys: dict[str, _Key] = {}

    def learn_url(self, origin: str) -> None:
        """The address an /api/redteam request arrived on: scheduled runs reach the gateway there."""
        if self.config.server_url is None:
            self.server_url = origin

    def due(self, now: float) -> list[Schedule]:
        found = schedules_of(self.engine)
        last = service.last_runs(self.engine, found)
        return [s for w, (s, _) in sorted(found.items()) if w not in last or now - last[w] >= s.every_s]

    async def tick(self) -> int:
        """Run every due schedule once; how many runs were stored."""
        done = 0
        for schedule in await asyncio.to_thread(self.due, time.time()):
            try:
                await self.run(schedule)
                done += 1
            except asyncio.CancelledError:
                raise
            except Exception:  # one workload's failure must not stop the others; the next tick retries
                log.exception("scheduled red-team run of %s failed", schedule.workload)
        return done

    async def run(self, schedule: Schedule) -> str:
        """One scheduled run of the workload's schedule, stored; the run's id."""
        corpus = load_corpus()
        attacks = corpus.select(schedule.categories or None)
        settings = RunSettings(model=schedule.model, prompt=PromptChoice.parse(schedule.prompt) if schedule.prompt
                               else None, concurrency=self.config.concurrency)  # fmt: skip
        key = await asyncio.to_thread(self._key_for, schedule.workload)
        started = time.time()
        async with GatewayChat(self.server_url or self.default_url, key.secret) as chat:
            results = await RedTeamRunner(chat, settings, planted_for(settings.seed), self.scanner).run(attacks)
        if results and all(r.error is not None for r in results):  # nothing graded: not a run, try again next tick
            raise RuntimeError(f"every attack failed, the first with: {results[0].error}")
        run = RunInput(corpus.version, schedule.categories, schedule.prompt, schedule.model, None, settings.seed,
                       "schedule", started, time.time(), tuple(results))  # fmt: skip
        record, _ = await asyncio.to_thread(service.record_run, self.engine, schedule.workload, INTERNAL_KEY_NAME, run)
        if self.slots is not None:
            raised = await asyncio.to_thread(service.alerts, self.engine, schedule.workload, 20)
            await send_alerts(self.slots, record, raised)
        self.runs += 1
        return record.id

    def _key_for(self, workload: str) -> _Key:
        held = self._keys.get(workload)
        if held is None:
            for old in list_keys(self.engine, workload):
                if old.name == INTERNAL_KEY_NAME and old.kind is KeyKind.APPLICATION and old.owner is None:
                    revoke_key(self.engine, old.id)  # an earlier server's: its secret died with it
            made = create_api_key(self.engine, workload=workload, name=INTERNAL_KEY_NAME, role=Role.DEVELOPER,
                                  kind=KeyKind.APPLICATION)  # fmt: skip
            held = self._keys[workload] = _Key(made.key.id, made.secret)
        return held

    async def run_forever(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("red-team scheduler tick failed")
            await asyncio.sleep(self.config.tick_s)

    async def revoke_keys(self) -> None:
        held, self._keys = list(self._keys.values()), {}
        for key in held:
            await asyncio.to_thread(revoke_key, self.engine, key.id)


SCHEDULER: StateKey[RedTeamScheduler] = StateKey("redteam.scheduler")
