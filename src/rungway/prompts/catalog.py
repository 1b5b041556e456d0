"""Every prompt version in memory, for the gateway: resolving a prompt reference never touches the store.

Kept fresh like keys (gateway/directory.py): loaded whole at start, then every `refresh_s` the
prompts changed since the last refresh (a new version or a moved label touches its prompt) are
reloaded in a worker thread, with a few seconds of overlap so that rows committed late by a slow
writer are not missed. A prompt created on another server is served here within one refresh; this
server's API refreshes at once after its own writes. Each prompt's entry is replaced whole, so a
reader on the event loop never sees half an update.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine

from rungway.gateway.slots import StateKey
from rungway.prompts.model import LATEST, SHARED, PromptVersion, scope_of
from rungway.prompts.store import versions_since

__all__ = ["CATALOG", "PromptCatalog"]

log = logging.getLogger("rungway.prompts.catalog")

_OVERLAP_S = 5.0


@dataclass(frozen=True, slots=True)
class _Entry:
    """One prompt: its versions by number (labels attached), its labels, its newest version."""

    versions: Mapping[int, PromptVersion]
    labels: Mapping[str, int]
    latest: int


class PromptCatalog:
    """Prompt versions by (scope, name), refreshed from the store off the request path."""

    def __init__(self, engine: Engine, refresh_s: float = 1.0) -> None:
        self._engine = engine
        self._refresh_s = refresh_s
        self._prompts: dict[tuple[str, str], _Entry] = {}
        self._since = 0.0
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def load(self) -> None:
        """Load everything (blocking): called once at start, before serving."""
        self._since = 0.0
        self._refresh()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._refresh_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def refresh(self) -> None:
        """Reload what changed now (after this server's own writes), not at the next tick."""
        async with self._lock:
            await asyncio.to_thread(self._refresh)

    def learn(self, version: PromptVersion) -> None:
        """A version this server has just written, served at once: its own API's writes never wait on the
        refresh (whose clock overlap covers other servers' writes, not a write stamped before a slow commit).
        The labels stay as the last refresh read them; the next refresh brings any that moved."""
        key = (scope_of(version.workload), version.name)
        old = self._prompts.get(key)
        if old is not None and version.version in old.versions:
            return
        versions = {
            **(old.versions if old is not None else {}),
            version.version: dataclasses.replace(version, labels=()),
        }
        labels = dict(old.labels) if old is not None else {}
        self._prompts[key] = _Entry(versions=versions, labels=labels, latest=max(versions))

    def resolve(
        self, workload: str | None, name: str, version: int | None = None, label: str | None = None
    ) -> PromptVersion | None:
        """The version a workload's reference names: its own prompt, else the shared one; by number, by
        label (`latest`: the newest), or the newest when neither is given. None when there is no such thing."""
        entry = self._prompts.get((workload or SHARED, name))
        if entry is None and workload:
            entry = self._prompts.get((SHARED, name))
        if entry is None:
            return None
        if version is None:
            version = entry.latest if label is None or label == LATEST else entry.labels.get(label)
            if version is None:
                return None
        return entry.versions.get(version)

    def __len__(self) -> int:
        return len(self._prompts)

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_s)
            try:
                await self.refresh()
            except Exception:  # a store outage: keep serving what is in memory, try again next tick
                log.exception("could not refresh prompts; serving from memory")

    def _refresh(self) -> None:
        started = time.time()
        since = self._since - _OVERLAP_S if self._since else 0.0
        changes = versions_since(self._engine, since)
        fresh: dict[str, dict[int, PromptVersion]] = {}
        for prompt_id, version in changes.versions:
            fresh.setdefault(prompt_id, {})[version.version] = version
        for prompt in changes.prompts:
            key = (prompt.scope, prompt.name)
            old = self._prompts.get(key)
            versions = {**(old.versions if old is not None else {}), **fresh.get(prompt.id, {})}
            if not versions:
                continue  # a prompt whose first version is not committed yet
            labels = changes.labels.get(prompt.id, {})
            by_version: dict[int, list[str]] = {}
            for label, at in sorted(labels.items()):
                by_version.setdefault(at, []).append(label)
            self._prompts[key] = _Entry(
                versions={
                    n: v
                    if v.labels == tuple(by_version.get(n, ()))
                    else dataclasses.replace(v, labels=tuple(by_version.get(n, ())))
                    for n, v in versions.items()
                },
                labels=dict(labels),
                latest=max(versions),
            )
        self._since = started


CATALOG = StateKey[PromptCatalog]("prompts.catalog")
"""Where a server keeps its catalog (`state.slots[CATALOG]`), for the gateway's prompt step and the API."""
