"""The pins the gateway reads on every call, in memory: config seeds overridden by stored pins.

`PinBook.pin(workload, alias)` is a dict lookup; the store is read at start, every
`pinning.refresh`, and right after this server's own writes (`refresh`), never on the hot path.
"""

from __future__ import annotations

import asyncio
import logging

from rungway.models.pins.config import PinningConfig
from rungway.models.pins.store import PinStore

__all__ = ["PinBook"]

log = logging.getLogger(__name__)


class PinBook:
    """`{(workload, alias): snapshot}`, replaced whole on each load (readers never see a half-made map)."""

    def __init__(self, config: PinningConfig, store: PinStore | None = None) -> None:
        self.config = config
        self.store = store
        self._pins: dict[tuple[str, str], str] = self._seeds()
        self._aliases = frozenset(alias for _, alias in self._pins)
        self._task: asyncio.Task[None] | None = None

    def _seeds(self) -> dict[tuple[str, str], str]:
        return {(w, alias): snap for w, p in self.config.workloads.items() for alias, snap in p.pins.items()}

    def pin(self, workload: str | None, alias: str) -> str | None:
        if workload is None:
            return None
        return self._pins.get((workload, alias))

    def has_pins_for(self, alias: str) -> bool:
        return alias in self._aliases

    def load(self) -> None:
        """Read the stored pins (blocking): at start, on each tick, and after this server's writes."""
        pins = self._seeds()
        if self.store is not None:
            for p in self.store.stored():
                pins[(p.workload, p.alias)] = p.snapshot
        self._pins, self._aliases = pins, frozenset(alias for _, alias in pins)

    async def refresh(self) -> None:
        await asyncio.to_thread(self.load)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._refresh_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.refresh_s)
            try:
                await self.refresh()
            except Exception:  # a store outage: keep serving the pins in memory, try again next tick
                log.exception("could not refresh model pins; serving from memory")
