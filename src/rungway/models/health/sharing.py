"""Breakers shared across gateway replicas through the counters backend, off the hot path.

A background task per replica, every `interval_s` (0.5 s): it publishes the circuits this replica
opened (a mark per deployment: until when it is open, in epoch seconds, kept at the largest value any
replica wrote: `Counters.raise_marks`) and the tries and failures it saw since the last round
(sliding-window counters: `Counters.add_many`); then it reads the marks and the combined counts, and
opens locally a circuit another replica opened, or one that the replicas' combined traffic says is
failing although no replica saw `min_calls` alone. `admit` and `finished` never wait on it: a breaker
that opens on one replica opens on the others within about one interval plus a round trip.

With the memory backend (one replica) the same task runs and finds nothing new: the marks it reads
are its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable

from rungway.counters.base import Counters, WindowUse
from rungway.models.health.book import HealthBook
from rungway.models.health.breaker import CircuitState, Transition

__all__ = ["SharedBreakers"]

log = logging.getLogger("rungway.models.health")


class SharedBreakers:
    """Publishes this replica's transitions and counts; adopts the other replicas' open circuits."""

    def __init__(
        self,
        book: HealthBook,
        counters: Counters,
        interval_s: float = 0.5,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.book = book
        self.counters = counters
        self.interval_s = interval_s
        self.wall = wall
        self._opened: dict[str, float] = {}  # deployment -> open until (epoch), to publish
        self._task: asyncio.Task[None] | None = None
        book.listen(self._on_transition)

    def _on_transition(self, moved: Transition) -> None:
        if moved.after is CircuitState.OPEN and moved.cause != "shared":
            self._opened[moved.deployment] = self.wall() + self.book.open_remaining_s(moved.deployment)

    async def sync_once(self) -> None:
        """One round: publish, then read and adopt."""
        settings = self.book.settings
        window = max(1, math.ceil(settings.window_s))
        ttl = max(1, math.ceil(settings.cooldown_s + settings.window_s))
        opened, self._opened = self._opened, {}
        if opened:
            await self.counters.raise_marks([(f"breaker:{name}", until) for name, until in opened.items()], ttl)
        deltas = self.book.take_deltas()
        uses = [WindowUse(f"breaker:{name}:calls", 0, window, calls) for name, (calls, _f) in deltas.items()]
        uses += [WindowUse(f"breaker:{name}:failures", 0, window, f) for name, (_c, f) in deltas.items() if f]
        if uses:
            await self.counters.add_many(uses)
        names = self.book.names()
        if not names:
            return
        marks = await self.counters.read_marks([f"breaker:{name}" for name in names])
        now = self.wall()
        for name, until in zip(names, marks, strict=True):
            if until is not None and until - now > 0.05:
                self.book.open_for(name, until - now)
        await self._combined(names, window)

    async def _combined(self, names: list[str], window: int) -> None:
        """Open circuits the replicas' combined counts say are failing (only for a deployment that has been
        closed for a whole window here, so counts from before its last incident cannot reopen it)."""
        settings = self.book.settings
        clock = self.book.clock()
        for name in names:
            breaker = self.book.breaker(name)
            if breaker.state is not CircuitState.CLOSED:
                continue
            if breaker.closed_at is not None and clock - breaker.closed_at < settings.window_s:
                continue
            calls = await self.counters.current(f"breaker:{name}:calls", window)
            if calls < settings.min_calls:
                continue
            failures = await self.counters.current(f"breaker:{name}:failures", window)
            if failures / calls >= settings.failure_rate and self.book.open_for(name, settings.cooldown_s, "traffic"):
                self._opened[name] = self.wall() + settings.cooldown_s

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.sync_once()
            except Exception:  # the backend is down: breakers stay local until it answers
                log.warning("could not share circuit breaker state", exc_info=True)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="models-breakers")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
