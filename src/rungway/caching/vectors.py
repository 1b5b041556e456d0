"""The semantic cache's nearest-neighbour index, partitioned by namespace.

A semantic cache that shares one index between tenants can answer one tenant's prompt with another's cached
answer. Here every namespace (a tenant and workload) has its own usearch HNSW index, so a query is only ever
compared with its own namespace's entries: isolation is structural, not a filter applied after the search.

Each namespace is bounded: past `max_entries_per_namespace` its oldest entry is evicted (first in, first out),
and usearch reuses the slots of removed entries, so churn does not grow the index. The dimensions of a
namespace are those of its first vector; the cosine similarity of two vectors does not depend on their norms.

One lock serialises every call, searches included: usearch's search may resize the index's per-thread
scratch space, which is not safe beside a concurrent add, and a search costs tens of microseconds
(bench/cache/semantic_lookup.py), so readers lose nothing measurable by taking it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from usearch.index import Index

__all__ = ["NamespacedVectors", "Neighbour"]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_OFFSET = 2**63

Vector = Sequence[float] | npt.NDArray[np.floating]


@dataclass(frozen=True, slots=True)
class Neighbour:
    """One entry found near a query."""

    key: int  # the caller's entry id (int64)
    similarity: float  # cosine similarity, 1.0 = same direction


@dataclass(slots=True)
class _Namespace:
    """One namespace's index, its dimensions and its keys in the order they were added (oldest first)."""

    index: Index
    dims: int
    order: dict[int, None] = field(default_factory=dict)


def _usearch_key(key: int) -> int:
    """usearch keys are uint64 and the largest marks a free slot (an entry under it is never found), so the
    caller's int64 keys are shifted onto [0, 2**64 - 1) and the one key landing on the marker is refused."""
    if not _INT64_MIN <= key < _INT64_MAX:
        raise ValueError(f"key {key} is outside [-2**63, 2**63 - 1): int64, less its largest value")
    return key + _OFFSET


def _caller_key(key: int) -> int:
    return key - _OFFSET


def _float32(vector: Vector) -> npt.NDArray[np.float32]:
    """`vector` as float32; a value beyond float32's range becomes infinite (and is refused as such)."""
    with np.errstate(over="ignore"):
        return np.asarray(vector, dtype=np.float32)


class NamespacedVectors:
    """A cosine nearest-neighbour index per namespace: a query never reaches another namespace's entries.

    Safe for one writer beside concurrent readers: every call holds one lock for its (short) duration.
    """

    def __init__(self, max_entries_per_namespace: int = 100_000, max_dims: int = 8192) -> None:
        if max_entries_per_namespace < 1:
            raise ValueError(f"max_entries_per_namespace must be at least 1, got {max_entries_per_namespace}")
        if max_dims < 1:
            raise ValueError(f"max_dims must be at least 1, got {max_dims}")
        self._max_entries = max_entries_per_namespace
        self._max_dims = max_dims
        self._spaces: dict[str, _Namespace] = {}
        self._lock = threading.Lock()

    def add(self, namespace: str, key: int, vector: Vector) -> None:
        """Store `vector` under `key` in `namespace`, replacing the key's previous vector (it becomes the newest).

        Raises ValueError for a vector with NaN or infinite values, a zero vector, more than `max_dims`
        dimensions, or dimensions other than the namespace's (set by its first vector), and for a key outside
        int64 or equal to its largest value (usearch's free-slot marker).
        """
        array = self._checked(vector)
        ukey = _usearch_key(key)
        with self._lock:
            space = self._spaces.get(namespace)
            if space is None:
                index = Index(ndim=array.shape[0], metric="cos", dtype="f32")
                space = self._spaces[namespace] = _Namespace(index, array.shape[0])
            elif space.dims != array.shape[0]:
                raise ValueError(
                    f"namespace {namespace!r} holds {space.dims}-dimension vectors; this one has {array.shape[0]}"
                )
            if key in space.order:
                space.index.remove(ukey)
                del space.order[key]
            elif len(space.order) >= self._max_entries:
                oldest = next(iter(space.order))
                space.index.remove(_usearch_key(oldest))
                del space.order[oldest]
            space.index.add(ukey, array, threads=1)
            space.order[key] = None

    def search(self, namespace: str, vector: Vector, k: int = 4, min_similarity: float = -1.0) -> list[Neighbour]:
        """Up to `k` entries of `namespace` nearest to `vector`, most similar first, none below `min_similarity`.

        An unknown or empty namespace, a vector of other dimensions, and a vector nothing can be similar to
        (zero, NaN or infinite values) find nothing. The search is approximate (HNSW), exact on small indexes.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        array = _float32(vector)
        if array.ndim != 1 or not array.any() or not np.isfinite(array).all():
            return []
        with self._lock:
            space = self._spaces.get(namespace)
            if space is None or space.dims != array.shape[0] or not space.order:
                return []
            matches = space.index.search(array, k, threads=1)
            found = [(int(key), float(distance)) for key, distance in zip(matches.keys, matches.distances, strict=True)]
        return [Neighbour(_caller_key(key), 1.0 - d) for key, d in found if 1.0 - d >= min_similarity]

    def remove(self, namespace: str, key: int) -> bool:
        """Remove `key` from `namespace`; False when it was not there."""
        with self._lock:
            space = self._spaces.get(namespace)
            if space is None or key not in space.order:
                return False
            space.index.remove(_usearch_key(key))
            del space.order[key]
            return True

    def drop_namespace(self, namespace: str) -> int:
        """Forget `namespace` and its index (its dimensions too); the number of entries removed."""
        with self._lock:
            space = self._spaces.pop(namespace, None)
        return len(space.order) if space is not None else 0

    def size(self, namespace: str) -> int:
        """Entries in `namespace` (0 for an unknown one)."""
        with self._lock:
            space = self._spaces.get(namespace)
            return len(space.order) if space is not None else 0

    def namespaces(self) -> list[str]:
        """The namespaces holding an index, sorted."""
        with self._lock:
            return sorted(self._spaces)

    def _checked(self, vector: Vector) -> npt.NDArray[np.float32]:
        array = _float32(vector)
        if array.ndim != 1 or array.shape[0] == 0:
            raise ValueError(f"a vector must be one non-empty row of numbers, got shape {array.shape}")
        if array.shape[0] > self._max_dims:
            raise ValueError(f"a vector has {array.shape[0]} dimensions, more than max_dims={self._max_dims}")
        if not np.isfinite(array).all():
            raise ValueError("a vector holds NaN or infinite values (or values beyond float32's range)")
        if not array.any():
            raise ValueError("a zero vector has no direction: its cosine similarity to anything is undefined")
        return array
