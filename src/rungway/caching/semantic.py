"""The semantic layer: a prompt close enough in meaning to one answered before gets the stored answer.

The prompt's conversation (`key.prompt_text`) is embedded with the workload's embedding model, called in
process through the gateway's own provider for that model (its tokens are the call's side cost), and searched
in the workload's own partition of the vector index (`vectors.py`, on usearch): one index per workload and
embedding model, so no query can reach another workload's entries. A neighbour is a hit when its similarity
reaches the threshold and, under `strict`, it answered the same model, under the same system prompt, for a
prompt of similar length (within 30%), and it has not expired.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from rungway.caching.model import CacheEntry
from rungway.caching.vectors import NamespacedVectors
from rungway.domain.usage import Usage
from rungway.errors import RungwayError
from rungway.gateway.routing import single_plan
from rungway.gateway.state import GatewayState
from rungway.providers.base import EmbedCall

__all__ = ["Embedding", "EntryFacts", "SemanticLayer", "vector_bytes"]

log = logging.getLogger("rungway.caching")

LENGTH_RATIO = 1.3
"""Under `strict`, a hit's stored prompt is at most this many times longer or shorter than the call's."""
NEIGHBOURS = 4


@dataclass(frozen=True, slots=True)
class EntryFacts:
    """What the index knows of an entry, to judge a neighbour without reading its answer."""

    key: str
    model: str
    strict_hash: str
    prompt_chars: int
    created_at: float
    expires_at: float


@dataclass(frozen=True, slots=True)
class Embedding:
    """A prompt's embedding and what the embedding call cost."""

    vector: np.ndarray
    cost_nano: int


def vector_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def _from_bytes(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype="<f4")


class SemanticLayer:
    """The embedding call and the partitioned index, with each entry's facts."""

    def __init__(self, state: GatewayState, max_entries: int = 100_000, timeout_s: float = 10.0) -> None:
        self._state = state
        self._timeout_s = timeout_s
        self._max_entries = max_entries
        self.vectors = NamespacedVectors(max_entries_per_namespace=max_entries)
        self._facts: dict[int, EntryFacts] = {}
        self._order: dict[str, dict[int, None]] = {}  # each partition's ids, oldest first (the index evicts so too)
        self.errors = 0

    @staticmethod
    def partition(workload: str, embedding_model: str) -> str:
        return f"{workload}\x00{embedding_model}"

    async def embed(self, model: str, text: str) -> Embedding | None:
        """The text's embedding, or None when the model cannot give one (logged and counted: a miss)."""
        route = self._state.config.models.get(model)
        if route is None:
            return None
        first = single_plan(route).deployments[0]
        provider = self._state.providers.get(first.provider)
        if provider is None:
            return None
        try:
            result = await provider.embed(
                EmbedCall({"model": first.upstream_model, "input": [text or " "]}, timeout_s=self._timeout_s)
            )
            vector = np.asarray(result.data["data"][0]["embedding"], dtype=np.float32)
        except (RungwayError, KeyError, IndexError, TypeError, ValueError) as exc:
            self._failed(model, exc)
            return None
        if vector.ndim != 1 or not vector.size or not np.isfinite(vector).all() or not vector.any():
            self._failed(model, ValueError("not a usable vector"))
            return None
        price = self._state.prices.get(route.name)
        cost = price.cost_nano(result.usage or Usage()) if price is not None else 0
        return Embedding(vector, cost)

    def _failed(self, model: str, exc: BaseException) -> None:
        self.errors += 1
        if self.errors == 1 or self.errors % 1000 == 0:
            log.warning("cache: embedding with %s failed (%s); counted as misses (%d so far)", model, exc, self.errors)

    def add(self, workload: str, entry: CacheEntry) -> None:
        """Index an entry that carries an embedding (a bad or mismatched vector is skipped, not raised)."""
        if entry.vector is None or entry.embedding_model is None:
            return
        partition = self.partition(workload, entry.embedding_model)
        try:
            self.vectors.add(partition, entry.id, _from_bytes(entry.vector))
        except ValueError as exc:
            log.warning("cache: entry %d of %s not indexed: %s", entry.id, workload, exc)
            return
        order = self._order.setdefault(partition, {})
        order.pop(entry.id, None)
        order[entry.id] = None
        while len(order) > self._max_entries:  # the index evicted its oldest: forget its facts too
            oldest = next(iter(order))
            del order[oldest]
            self._facts.pop(oldest, None)
        self._facts[entry.id] = EntryFacts(
            entry.key, entry.model, entry.strict_hash, entry.prompt_chars, entry.created_at, entry.expires_at
        )

    def search(
        self,
        workload: str,
        embedding_model: str,
        vector: np.ndarray,
        *,
        threshold: float,
        strict: bool,
        model: str,
        strict_hash: str,
        prompt_chars: int,
        now: float,
        max_age_s: float | None,
    ) -> tuple[EntryFacts, float] | None:
        """The most similar live entry that qualifies, with its similarity; None: a miss."""
        partition = self.partition(workload, embedding_model)
        for neighbour in self.vectors.search(partition, vector, k=NEIGHBOURS, min_similarity=threshold):
            facts = self._facts.get(neighbour.key)
            if facts is None or facts.expires_at <= now:
                continue
            if max_age_s is not None and now - facts.created_at > max_age_s:
                continue
            if strict:
                if facts.model != model or facts.strict_hash != strict_hash:
                    continue
                longer, shorter = max(facts.prompt_chars, prompt_chars), min(facts.prompt_chars, prompt_chars)
                if longer > LENGTH_RATIO * max(shorter, 1):
                    continue
            return facts, float(neighbour.similarity)
        return None

    def forget(self, workload: str, embedding_model: str, entry_id: int) -> None:
        partition = self.partition(workload, embedding_model)
        self.vectors.remove(partition, entry_id)
        self._order.get(partition, {}).pop(entry_id, None)
        self._facts.pop(entry_id, None)

    def drop(self, workload: str) -> int:
        removed = 0
        for partition in self.vectors.namespaces():
            if partition.split("\x00", 1)[0] == workload:
                removed += self.vectors.drop_namespace(partition)
                for entry_id in self._order.pop(partition, {}):
                    self._facts.pop(entry_id, None)
        return removed

    def size(self, workload: str) -> int:
        return sum(self.vectors.size(p) for p in self.vectors.namespaces() if p.split("\x00", 1)[0] == workload)
