"""The catalogue a server serves from: in memory, the configuration with the store's changes on top.

The gateway asks it once per call (`lookup`, a dict read); the store is read only by the background
refresh (`catalogue.refresh`, default 30s) and right after this server records a change, so a
store outage never slows a call: the view keeps serving what it last read. `version` moves on
every refresh that changed something, so the lifecycle's per-model decisions are recomputed then.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

from sqlalchemy import Engine

from rungway.gateway.slots import StateKey
from rungway.models.catalogue.config import CatalogueConfig
from rungway.models.catalogue.entry import CatalogueEntry
from rungway.models.catalogue.store import StatusChange, latest_approvals, latest_changes

__all__ = ["CATALOGUE", "CatalogueView", "RoutableCatalogue", "apply_changes"]

log = logging.getLogger("rungway.models.catalogue")


def apply_changes(
    entries: Mapping[str, CatalogueEntry], changes: Mapping[str, StatusChange]
) -> dict[str, CatalogueEntry]:
    """The entries with each model's latest recorded change applied (status, and dates or successor it set)."""
    out = dict(entries)
    for name, change in changes.items():
        entry = out.get(name)
        if entry is None:
            continue  # a change to a model since removed from the configuration
        out[name] = replace(
            entry,
            status=change.status,
            deprecated_on=change.deprecated_on or entry.deprecated_on,
            sunset_on=change.sunset_on or entry.sunset_on,
            successor=change.successor or entry.successor,
            source="store",
        )
    return out


class CatalogueView:
    """Every catalogue entry by name (and by pinned snapshot), with approvals; refreshed in the background."""

    def __init__(self, config: CatalogueConfig, engine: Engine | None = None) -> None:
        self.config = config
        self.as_of: date = config.as_of
        self._engine = engine
        self._entries: dict[str, CatalogueEntry] = dict(config.entries)
        self._by_snapshot = self._snapshots(self._entries)
        self._approvals: dict[str, StatusChange] = {}
        self._changes: dict[str, StatusChange] = {}
        self.version = 0
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @staticmethod
    def _snapshots(entries: Mapping[str, CatalogueEntry]) -> dict[str, str]:
        return {e.snapshot: e.name for e in entries.values() if e.snapshot and not e.floating}

    def entry(self, name: str) -> CatalogueEntry | None:
        return self._entries.get(name)

    def lookup(self, model: str) -> CatalogueEntry | None:
        """The entry named `model`, else the one whose pinned snapshot is `model` (an upstream id)."""
        found = self._entries.get(model)
        if found is None:
            name = self._by_snapshot.get(model)
            found = self._entries.get(name) if name is not None else None
        return found

    def entries(self) -> Sequence[CatalogueEntry]:
        return list(self._entries.values())

    def approval(self, name: str) -> StatusChange | None:
        """The latest approval of a model (who, when, with which evidence), when one was recorded."""
        return self._approvals.get(name)

    def change(self, name: str) -> StatusChange | None:
        """The latest recorded change of a model, when one was recorded."""
        return self._changes.get(name)

    def load(self) -> None:
        """Read the store's changes (blocking: call it from a thread, or before serving)."""
        if self._engine is None:
            return
        changes, approvals = latest_changes(self._engine), latest_approvals(self._engine)
        if changes == self._changes and approvals == self._approvals:
            return
        entries = apply_changes(self.config.entries, changes)
        self._entries, self._by_snapshot = entries, self._snapshots(entries)
        self._changes, self._approvals = changes, approvals
        self.version += 1

    async def refresh(self) -> None:
        """Reload now (after this server's own change), not at the next tick."""
        async with self._lock:
            await asyncio.to_thread(self.load)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._refresh_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.refresh_s)
            try:
                await self.refresh()
            except Exception:  # a store outage: keep serving what is in memory, try again next tick
                log.exception("could not refresh the model catalogue; serving from memory")


CATALOGUE = StateKey[CatalogueView]("models.catalogue")
"""Where a server keeps its catalogue view (`state.slots[CATALOGUE]`), for the API, pages and other stages."""


class RoutableCatalogue:
    """The catalogue as the pins resolver reads it: a floating alias points at its snapshot only when that
    snapshot is served under its own name (a `models:` entry); otherwise the alias's own route serves it
    (`models: {gpt-4o-mini: {model: gpt-4o-mini-2024-07-18}}`), so resolving would name a model no route
    serves. Entries are adjusted once per view version, so a call costs a dict read."""

    def __init__(self, view: CatalogueView, routes: Mapping[str, object]) -> None:
        self.view = view
        self.routes = routes
        self._cache: dict[str, CatalogueEntry] = {}
        self._version = -1

    def entry(self, name: str) -> CatalogueEntry | None:
        if self.view.version != self._version:
            self._cache, self._version = {}, self.view.version
        found = self._cache.get(name)
        if found is None:
            found = self.view.entry(name)
            if found is None:
                return None
            if found.floating and found.alias_of and found.alias_of not in self.routes:
                found = replace(found, alias_of=None)
            self._cache[name] = found
        return found

    def entries(self) -> Sequence[CatalogueEntry]:
        return self.view.entries()
