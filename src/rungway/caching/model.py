"""The cache's typed records: a stored answer, a layer's verdict on a call, and a semantic hit's measured check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CacheEntry", "CacheLookup", "HitCheck", "Layer", "SemanticState"]

Layer = Literal["exact", "semantic"]


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One answer a workload's call got from its upstream, kept to answer the same (or a similar) call again.

    `namespace` is the workload the entry belongs to: every lookup, exact or semantic, is inside one namespace,
    so no call can reach another workload's entries. `key` is the exact key (`caching/key.py`); `vector` the
    prompt's embedding (float32 little-endian) when the workload has a semantic layer. `cost_nano` is what the
    call that produced the answer cost: the saving each hit realises."""

    id: int
    namespace: str
    key: str
    model: str
    created_at: float
    expires_at: float
    answer: bytes  # the chat completion's JSON (what the upstream answered, before any output redaction)
    tokens_in: int
    tokens_out: int
    tokens_cached: int
    cost_nano: int
    strict_hash: str  # the system prompt's hash: a semantic hit under `strict` needs the same one
    prompt_chars: int  # the prompt's length: a semantic hit under `strict` needs a similar one
    embedding_model: str | None = None
    vector: bytes | None = None
    request_id: str | None = None  # the call that produced the answer


@dataclass(frozen=True, slots=True)
class CacheLookup:
    """What the lookup step found for a call: the layer and entry, or why it did not look (`bypass`)."""

    status: Literal["hit", "miss", "bypass"]
    layer: Layer | None = None
    entry: CacheEntry | None = None
    similarity: float | None = None
    reason: str | None = None  # why a bypass (no-cache, n>1, temperature, tools, disabled)


@dataclass(frozen=True, slots=True)
class HitCheck:
    """A semantic hit re-asked upstream in the background: the two answers compared by a scorer."""

    id: str
    ts: float
    workload: str
    request_id: str
    entry_id: int
    similarity: float
    score: float
    passed: bool
    cost_nano: int
    reason: str


@dataclass(frozen=True, slots=True)
class SemanticState:
    """A workload's semantic layer as its measured precision left it: paused, or its threshold raised."""

    workload: str
    threshold: float | None  # None: the configured one
    paused: bool
    changed_at: float
    reason: str
