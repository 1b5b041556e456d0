"""The hot-path copy of recent stored responses: a bounded LRU on this replica, keyed by workload and id,
plus a bounded set of ids deleted here (so a delete still queued for the store is already seen)."""

from __future__ import annotations

import time
from collections import OrderedDict

from rungway.responses.model import StoredResponse

__all__ = ["ResponseMemory"]

_GONE = object()


class ResponseMemory:
    """Responses kept in memory, newest used last; older than the retention they read as absent."""

    def __init__(self, capacity: int, retention_s: float) -> None:
        self._capacity = capacity
        self._retention_s = retention_s
        self._entries: OrderedDict[tuple[str, str], StoredResponse | object] = OrderedDict()

    def put(self, response: StoredResponse) -> None:
        self._set((response.workload, response.id), response)

    def forget(self, workload: str, response_id: str) -> None:
        """Marks the id deleted (a tombstone), so a store read racing the queued delete is not trusted."""
        self._set((workload, response_id), _GONE)

    def get(self, workload: str, response_id: str) -> StoredResponse | None:
        entry = self._entries.get((workload, response_id))
        if isinstance(entry, StoredResponse):
            if entry.created_at < time.time() - self._retention_s:
                return None
            self._entries.move_to_end((workload, response_id))
            return entry
        return None

    def deleted(self, workload: str, response_id: str) -> bool:
        return self._entries.get((workload, response_id)) is _GONE

    def _set(self, key: tuple[str, str], value: StoredResponse | object) -> None:
        if self._capacity <= 0:
            return
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
