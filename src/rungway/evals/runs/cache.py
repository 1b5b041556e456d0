"""The eval runner's response cache: a model answer is asked for once per (prompt version, model, parameters,
input), so re-running a dataset after changing only an assertion costs nothing and takes seconds.

A local SQLite file (default `.rungway/eval-cache/responses.sqlite3` under the working directory; the
standard library's sqlite3, WAL mode), keyed by the SHA-256 of those four things as canonical JSON. Only
answers are cached, never errors. Look-ups are synchronous (tens of microseconds on a local file); new
answers are written in batches by `flush`, which the runner calls with each batch of results.
`rungway eval run --no-cache` neither reads nor writes it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson

from rungway.evals.scorers.base import JsonValue, ToolCall

__all__ = ["DEFAULT_CACHE_DIR", "CachedAnswer", "ResponseCache", "cache_key"]

DEFAULT_CACHE_DIR = Path(".rungway") / "eval-cache"


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """A model answer as the runner scores it, with the ids of the call that produced it."""

    output: str
    tool_calls: tuple[ToolCall, ...]
    latency_ms: float | None
    cost_usd: float | None
    request_id: str | None
    trace_id: str | None

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            [self.output, [[t.name, t.arguments] for t in self.tool_calls], self.latency_ms, self.cost_usd,
             self.request_id, self.trace_id]
        )  # fmt: skip

    @classmethod
    def from_bytes(cls, raw: bytes) -> CachedAnswer:
        output, calls, latency, cost, request_id, trace_id = orjson.loads(raw)
        return cls(output, tuple(ToolCall(n, a) for n, a in calls), latency, cost, request_id, trace_id)


def cache_key(
    prompt: str | None, model: str | None, parameters: Mapping[str, JsonValue], request_input: JsonValue
) -> str:
    """The key of one call: the prompt version (`name@3`), the model, the parameters and the input
    (variables or messages), as canonical JSON (sorted keys)."""
    raw = orjson.dumps([prompt, model, parameters, request_input], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(raw).hexdigest()


class ResponseCache:
    """Answers by `cache_key`, in a SQLite file; `flush` writes what `put` collected."""

    def __init__(self, directory: Path = DEFAULT_CACHE_DIR) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "responses.sqlite3"
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, answer BLOB NOT NULL)")
        self._pending: list[tuple[str, bytes]] = []
        self.hits = 0

    def get(self, key: str) -> CachedAnswer | None:
        row = self._db.execute("SELECT answer FROM answers WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            answer = CachedAnswer.from_bytes(row[0])
        except (orjson.JSONDecodeError, ValueError, TypeError):
            return None  # a damaged entry is a miss; the fresh answer replaces it
        self.hits += 1
        return answer

    def put(self, key: str, answer: CachedAnswer) -> None:
        self._pending.append((key, answer.to_bytes()))

    def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO answers (key, answer) VALUES (?, ?)", pending)

    def close(self) -> None:
        self.flush()
        self._db.close()
