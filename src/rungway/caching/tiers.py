"""The exact layer's two tiers: answers in process memory, in front of Redis shared by the replicas.

`MemoryTier` is a least-recently-used map of entries bounded by the bytes of their answers; every lookup looks
here first, with no I/O. `RedisTier` (when `counters:` uses Redis, or `cache.shared: redis`) is asked on a
memory miss and told of every stored answer, with the entry's remaining lifetime as its TTL, so a replica
serves what another replica stored a moment ago; a Redis error is a miss, counted, never a failed call.
Without Redis the store is the shared tier: entries are written through a batch writer and read back into
memory by every replica's refresh (`caching/runtime.py`).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

import orjson

from rungway.caching.model import CacheEntry
from rungway.wire.resp import RedisReplyError, RespClient

__all__ = ["ENTRY_OVERHEAD_BYTES", "MemoryTier", "RedisTier", "decode_entry", "encode_entry"]

log = logging.getLogger("rungway.caching")

ENTRY_OVERHEAD_BYTES = 512
"""What an entry costs beyond its answer and vector (the record, the map's slots): counted against the budget."""


def _size(entry: CacheEntry) -> int:
    return len(entry.answer) + len(entry.vector or b"") + ENTRY_OVERHEAD_BYTES


class MemoryTier:
    """Entries by (namespace, key), least recently used out first past `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[tuple[str, str], CacheEntry] = OrderedDict()
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, namespace: str, key: str) -> CacheEntry | None:
        slot = (namespace, key)
        entry = self._entries.get(slot)
        if entry is not None:
            self._entries.move_to_end(slot)
        return entry

    def put(self, entry: CacheEntry) -> None:
        slot = (entry.namespace, entry.key)
        old = self._entries.pop(slot, None)
        if old is not None:
            self.bytes -= _size(old)
        size = _size(entry)
        if size > self.max_bytes:
            return
        self._entries[slot] = entry
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, out = self._entries.popitem(last=False)
            self.bytes -= _size(out)
            self.evicted += 1

    def discard(self, namespace: str, key: str) -> None:
        old = self._entries.pop((namespace, key), None)
        if old is not None:
            self.bytes -= _size(old)

    def drop_namespace(self, namespace: str) -> int:
        slots = [slot for slot in self._entries if slot[0] == namespace]
        for slot in slots:
            self.discard(*slot)
        return len(slots)

    def count(self, namespace: str) -> int:
        return sum(1 for slot in self._entries if slot[0] == namespace)


def encode_entry(entry: CacheEntry) -> bytes:
    """An entry as Redis keeps it (without its embedding: the semantic index lives in each replica)."""
    fields: dict[str, Any] = {
        "id": entry.id,
        "namespace": entry.namespace,
        "key": entry.key,
        "model": entry.model,
        "created_at": entry.created_at,
        "expires_at": entry.expires_at,
        "answer": orjson.Fragment(entry.answer),
        "tokens_in": entry.tokens_in,
        "tokens_out": entry.tokens_out,
        "tokens_cached": entry.tokens_cached,
        "cost_nano": entry.cost_nano,
        "strict_hash": entry.strict_hash,
        "prompt_chars": entry.prompt_chars,
        "request_id": entry.request_id,
    }
    return orjson.dumps(fields)


def decode_entry(raw: bytes) -> CacheEntry | None:
    """The entry, or None for a value that is not one (another program's key, a truncated value)."""
    try:
        data = orjson.loads(raw)
        answer = orjson.dumps(data.pop("answer"))
        return CacheEntry(answer=answer, **data)
    except (orjson.JSONDecodeError, TypeError, KeyError, AttributeError):
        return None


class RedisTier:
    """Answers shared through Redis under `<prefix>cache:<namespace>:<key>`, each with its remaining lifetime."""

    def __init__(self, url: str, prefix: str, ca_file: str | None = None) -> None:
        self._client = RespClient(url, ca_file=ca_file)
        self._prefix = prefix + "cache:"
        self.errors = 0

    def _key(self, namespace: str, key: str) -> str:
        return f"{self._prefix}{namespace}:{key}"

    async def get(self, namespace: str, key: str) -> CacheEntry | None:
        try:
            raw = await self._client.call("GET", self._key(namespace, key))
        except (OSError, ConnectionError, TimeoutError, RedisReplyError) as exc:
            self._failed(exc)
            return None
        if not isinstance(raw, bytes):
            return None
        entry = decode_entry(raw)
        return entry if entry is not None and entry.namespace == namespace and entry.key == key else None

    async def put(self, entry: CacheEntry, ttl_s: float) -> None:
        seconds = max(1, int(ttl_s))
        try:
            await self._client.call("SET", self._key(entry.namespace, entry.key), encode_entry(entry), "EX", seconds)
        except (OSError, ConnectionError, TimeoutError, RedisReplyError) as exc:
            self._failed(exc)

    async def drop_namespace(self, namespace: str) -> int:
        """Delete the namespace's keys (SCAN, then DEL in batches)."""
        removed = 0
        cursor: Any = b"0"
        try:
            while True:
                reply = await self._client.call("SCAN", cursor, "MATCH", f"{self._prefix}{namespace}:*", "COUNT", 500)
                assert isinstance(reply, list)
                cursor, keys = reply[0], reply[1]
                if keys:
                    removed += int(await self._client.call("DEL", *keys))  # type: ignore[arg-type]
                if cursor in (b"0", "0", 0):
                    return removed
        except (OSError, ConnectionError, TimeoutError, RedisReplyError) as exc:
            self._failed(exc)
            return removed

    def _failed(self, exc: BaseException) -> None:
        self.errors += 1
        if self.errors == 1 or self.errors % 1000 == 0:
            log.warning("cache: Redis tier unavailable (%s); counted as misses (%d so far)", exc, self.errors)

    async def close(self) -> None:
        await self._client.close()
