"""The response cache: keyed by prompt version, model, parameters and input; survives a reopen; misses on damage."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rungway.evals.runs.cache import CachedAnswer, ResponseCache, cache_key
from rungway.evals.scorers import ToolCall

ANSWER = CachedAnswer("hello", (ToolCall("lookup", '{"id": 1}'),), 12.5, 0.0001, "req_1", "a" * 32)


def test_the_key_changes_with_each_part_and_not_with_key_order() -> None:
    base = cache_key("p@1", "m", {"temperature": 0, "seed": 1}, {"q": "x"})
    assert base == cache_key("p@1", "m", {"seed": 1, "temperature": 0}, {"q": "x"})
    for other in (
        cache_key("p@2", "m", {"temperature": 0, "seed": 1}, {"q": "x"}),
        cache_key("p@1", "n", {"temperature": 0, "seed": 1}, {"q": "x"}),
        cache_key("p@1", "m", {"temperature": 1, "seed": 1}, {"q": "x"}),
        cache_key("p@1", "m", {"temperature": 0, "seed": 1}, {"q": "y"}),
        cache_key(None, "m", {"temperature": 0, "seed": 1}, {"q": "x"}),
    ):
        assert other != base


def test_answers_are_written_on_flush_and_read_after_a_reopen(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c")
    key = cache_key(None, "m", {}, [{"role": "user", "content": "hi"}])
    cache.put(key, ANSWER)
    assert cache.get(key) is None  # not written yet
    cache.flush()
    assert cache.get(key) == ANSWER and cache.hits == 1
    cache.close()
    again = ResponseCache(tmp_path / "c")
    assert again.get(key) == ANSWER
    assert again.get("missing") is None and again.hits == 1
    again.close()


def test_a_damaged_entry_is_a_miss(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    cache.close()
    with sqlite3.connect(tmp_path / "responses.sqlite3") as db:
        db.execute("INSERT INTO answers VALUES ('k', x'7b7b')")
    reopened = ResponseCache(tmp_path)
    assert reopened.get("k") is None
    reopened.close()
