"""The cache's state per workload, for `rungway cache stats`, `GET /api/cache/stats` and the dashboard page.

Read from the store (live entries, semantic hit checks and their precision, the semantic layer's states) and,
when a server answers, from its memory tier; the configuration says which workloads are cached and with which
semantic threshold and precision bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from rungway.caching.config import CacheConfig
from rungway.caching.store import entry_counts, load_semantic_states, precision
from rungway.caching.tiers import MemoryTier

__all__ = ["CHECK_WINDOW_S", "CacheStats", "MemoryStats", "WorkloadCacheStats", "cache_stats"]

CHECK_WINDOW_S = 7 * 86400.0
"""Semantic hit checks of this window make the precision shown."""


@dataclass(frozen=True, slots=True)
class WorkloadCacheStats:
    """One workload's stored entries, its semantic layer's measured precision and state."""

    workload: str
    configured: bool  # listed under `cache.workloads`
    entries: int
    with_vector: int
    answer_bytes: int
    semantic: bool  # a semantic layer is configured
    threshold: float | None  # the similarity a semantic hit needs now (configured, or raised)
    paused: bool
    state_reason: str | None
    checked: int  # semantic hits re-asked upstream in the window
    passed: int
    min_precision: float | None  # the bar its checks are held to
    memory_entries: int | None = None  # in this server's memory tier (None: read without a server)

    @property
    def precision(self) -> float | None:
        return self.passed / self.checked if self.checked else None

    def to_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "configured": self.configured,
            "entries": self.entries,
            "with_vector": self.with_vector,
            "answer_bytes": self.answer_bytes,
            "memory_entries": self.memory_entries,
            "semantic": self.semantic,
            "threshold": self.threshold,
            "paused": self.paused,
            "state_reason": self.state_reason,
            "checks": {"checked": self.checked, "passed": self.passed, "precision": self.precision},
            "min_precision": self.min_precision,
        }


@dataclass(frozen=True, slots=True)
class MemoryStats:
    """A server's memory tier."""

    entries: int
    bytes: int
    max_bytes: int
    evicted: int

    def to_json(self) -> dict[str, Any]:
        return {"entries": self.entries, "bytes": self.bytes, "max_bytes": self.max_bytes, "evicted": self.evicted}


@dataclass(frozen=True, slots=True)
class CacheStats:
    workloads: list[WorkloadCacheStats]
    memory: MemoryStats | None

    def to_json(self) -> dict[str, Any]:
        return {
            "object": "cache.stats",
            "memory": None if self.memory is None else self.memory.to_json(),
            "data": [w.to_json() for w in self.workloads],
        }


def cache_stats(
    engine: Engine,
    config: CacheConfig,
    workloads: Sequence[str] | None,
    now: float,
    memory: MemoryTier | None = None,
) -> CacheStats:
    """Every cached workload's stats (`workloads` None), or those named; memory figures when a tier is given."""
    counts = entry_counts(engine, now)
    states = load_semantic_states(engine)
    names = sorted(set(config.workloads) | set(counts) | set(states)) if workloads is None else list(workloads)
    checked = precision(engine, names, now - CHECK_WINDOW_S) if names else {}
    found = []
    for name in names:
        policy = config.workloads.get(name)
        semantic = policy.semantic if policy is not None else None
        state = states.get(name)
        entries, vectors, size = counts.get(name, (0, 0, 0))
        done, passed = checked.get(name, (0, 0))
        threshold = None
        if semantic is not None:
            threshold = state.threshold if state is not None and state.threshold is not None else semantic.threshold
        found.append(
            WorkloadCacheStats(
                workload=name,
                configured=policy is not None,
                entries=entries,
                with_vector=vectors,
                answer_bytes=size,
                semantic=semantic is not None,
                threshold=threshold,
                paused=state is not None and state.paused,
                state_reason=state.reason if state is not None else None,
                checked=done,
                passed=passed,
                min_precision=semantic.check.min_precision if semantic is not None and semantic.check else None,
                memory_entries=memory.count(name) if memory is not None else None,
            )
        )
    tier = None if memory is None else MemoryStats(len(memory), memory.bytes, memory.max_bytes, memory.evicted)
    return CacheStats(found, tier)
