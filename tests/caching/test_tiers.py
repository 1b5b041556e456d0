"""The memory tier's least-recently-used bound, and an entry's round trip through Redis's encoding."""

from __future__ import annotations

import orjson

from rungway.caching.model import CacheEntry
from rungway.caching.tiers import ENTRY_OVERHEAD_BYTES, MemoryTier, decode_entry, encode_entry


def _entry(key: str, size: int = 100, namespace: str = "w") -> CacheEntry:
    answer = orjson.dumps({"choices": [{"message": {"content": "x" * size}}]})
    return CacheEntry(1, namespace, key, "m", 1.0, 2.0, answer, 3, 4, 0, 50, "h", 10)


def test_the_least_recently_used_entry_goes_first_past_the_bound() -> None:
    one = _entry("a")
    tier = MemoryTier(3 * (len(one.answer) + ENTRY_OVERHEAD_BYTES))
    for key in "abc":
        tier.put(_entry(key))
    assert tier.get("w", "a") is not None  # a is now the most recently used
    tier.put(_entry("d"))
    assert tier.get("w", "b") is None and tier.get("w", "a") is not None and len(tier) == 3
    assert tier.evicted == 1


def test_namespaces_are_apart_and_an_oversized_entry_is_not_kept() -> None:
    tier = MemoryTier(10_000)
    tier.put(_entry("k", namespace="a"))
    assert tier.get("b", "k") is None
    tier.put(_entry("big", size=20_000))
    assert tier.get("w", "big") is None and tier.bytes <= tier.max_bytes
    assert tier.drop_namespace("a") == 1 and len(tier) == 0


def test_an_entry_round_trips_through_the_redis_encoding_and_junk_is_none() -> None:
    entry = _entry("k")
    assert decode_entry(encode_entry(entry)) == entry
    assert decode_entry(b"not json") is None and decode_entry(b'{"id": 1}') is None
