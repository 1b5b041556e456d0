"""What each replica holds in memory: the live scorers by workload, the counts not stored yet and today's spend.

The gateway's after-step reads `ScorerBook.live` (a dict replaced whole at each refresh, never waited on) and
adds to `pending` (counts per workload, scorer and hour) on the event loop. Every `refresh_s` the book adds the
pending counts to the store (`store.add_counts`), re-reads the scorers (a scorer added through another replica
arrives within one refresh) and today's spend of every replica, which the daily cost cap compares with.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from rungway.evals.public import Assertion, ScorerContext, scorer_from_spec
from rungway.online_evals.config import OnlineEvalsConfig
from rungway.online_evals.model import CallFilter, OnlineScorer, config_scorer_id
from rungway.online_evals.store import ALL_CALLS, Counts, add_counts, list_scorers, read_counts, sync_config_scorers

__all__ = ["LiveScorer", "ScorerBook", "configured_scorers", "day_start_hour"]

log = logging.getLogger("rungway.online_evals")


def day_start_hour(now: float) -> int:
    """The epoch hour at which `now`'s UTC day began."""
    return int(now // 86_400) * 24


@dataclass(frozen=True, slots=True)
class LiveScorer:
    """A stored scorer with its built assertion; `spends` when it calls a model (the cost cap applies). Build it
    with `LiveScorer.of`."""

    scorer: OnlineScorer
    assertion: Assertion
    spends: bool = False
    every_call: bool = False  # an empty filter: the after-step reads nothing of the call to match it

    @classmethod
    def of(cls, scorer: OnlineScorer, assertion: Assertion) -> LiveScorer:
        return cls(scorer, assertion, assertion.needs_model, scorer.filter == CallFilter())


def configured_scorers(config: OnlineEvalsConfig, now: float) -> list[OnlineScorer]:
    """The scorers `online_evals.workloads` declares, with their stable ids."""
    return [
        OnlineScorer(
            config_scorer_id(w, d.name, d.spec), w, d.name, d.spec, d.sample, d.filter, "config", now, "config"
        )
        for w, plan in config.workloads.items()
        for d in plan.scorers
    ]


class ScorerBook:
    """Live scorers, pending counts and today's spend per workload; `refresh` stores and re-reads."""

    def __init__(
        self, engine: Engine, config: OnlineEvalsConfig, context: ScorerContext, clock: Callable[[], float] = time.time
    ) -> None:
        self.engine = engine
        self.config = config
        self.context = context
        self.clock = clock
        self.live: dict[str, tuple[LiveScorer, ...]] = {}
        self.pending: dict[tuple[str, str, int], Counts] = {}
        self._stored_spend: dict[str, int] = {}  # today's spend in the store, every replica's
        self._in_transit: dict[tuple[str, str, int], Counts] = {}  # taken from pending, being stored
        self._spend_day = day_start_hour(clock())
        self._built: dict[str, LiveScorer] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def counts(self, workload: str, scorer_id: str, hour: int) -> Counts:
        key = (workload, scorer_id, hour)
        found = self.pending.get(key)
        if found is None:
            found = self.pending[key] = Counts()
        return found

    def spent_nano(self, workload: str) -> int:
        """Today's judge and embedding spend of the workload: stored (all replicas) plus this one's not yet stored."""
        start = self._spend_day
        local = sum(
            n.cost_nano for (w, s, h), n in self.pending.items() if w == workload and h >= start and s != ALL_CALLS
        )
        moving = sum(
            n.cost_nano for (w, s, h), n in self._in_transit.items() if w == workload and h >= start and s != ALL_CALLS
        )
        return self._stored_spend.get(workload, 0) + local + moving

    def cap_nano(self, workload: str) -> int:
        return round(self.config.cap_usd(workload) * 1e9)

    def capped(self, workload: str) -> bool:
        return self.spent_nano(workload) >= self.cap_nano(workload)

    def _build(self, scorer: OnlineScorer) -> LiveScorer | None:
        built = self._built.get(scorer.id)
        if built is not None and built.scorer == scorer:
            return built
        try:
            assertion = scorer_from_spec(
                scorer.spec, where=f"online scorer {scorer.workload}/{scorer.name}", context=self.context
            )
        except Exception:
            log.warning("online scorer %s/%s cannot be built; skipped", scorer.workload, scorer.name, exc_info=True)
            return None
        built = self._built[scorer.id] = LiveScorer.of(scorer, assertion)
        return built

    def _store_and_read(
        self, moving: dict[tuple[str, str, int], Counts], day: int
    ) -> tuple[list[OnlineScorer], dict[str, int]]:
        add_counts(self.engine, moving)
        scorers = list_scorers(self.engine)
        workloads = sorted({s.workload for s in scorers} | {w for (w, _, _) in moving} | set(self._stored_spend))
        totals = read_counts(self.engine, workloads, day)
        spend: dict[str, int] = {}
        for (workload, scorer_id), counts in totals.items():
            if scorer_id != ALL_CALLS:
                spend[workload] = spend.get(workload, 0) + counts.cost_nano
        return scorers, spend

    async def refresh(self) -> None:
        """Store the pending counts, then re-read the scorers and today's spend (one refresh at a time)."""
        async with self._lock:
            self._in_transit, self.pending = self.pending, {}
            day = day_start_hour(self.clock())
            try:
                scorers, spend = await asyncio.to_thread(self._store_and_read, self._in_transit, day)
            except BaseException:
                for key, counts in self._in_transit.items():  # not stored: keep them for the next refresh
                    self.counts(*key).add(counts)
                self._in_transit = {}
                raise
            self._in_transit = {}
            self._stored_spend, self._spend_day = spend, day
            live: dict[str, list[LiveScorer]] = {}
            for scorer in scorers:
                built = self._build(scorer)
                if built is not None:
                    live.setdefault(scorer.workload, []).append(built)
            self._built = {b.scorer.id: b for group in live.values() for b in group}
            self.live = {w: tuple(group) for w, group in live.items()}

    async def start(self) -> None:
        now = self.clock()
        await asyncio.to_thread(sync_config_scorers, self.engine, configured_scorers(self.config, now))
        await self.refresh()
        self._task = asyncio.get_running_loop().create_task(self._refresh_forever(), name="rungway-online-evals")

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.refresh_s)
            try:
                await self.refresh()
            except Exception:  # noqa: BLE001 - a store outage must not end the refresh: the last scorers stay in force
                log.warning("online scorers not refreshed (the store is unavailable); keeping the last ones")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        try:
            await self.refresh()
        except Exception:  # noqa: BLE001 - the store is away at shutdown: the counts stay in /metrics only
            log.warning("online scoring counts not stored at shutdown")
