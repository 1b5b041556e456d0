"""`PinStore` on SQLite and PostgreSQL: stored pins win over seeds, every change is recorded, rollback restores."""

from __future__ import annotations

import pytest

from rungway.errors import InvalidRequest, NotFound
from rungway.models.pins.book import PinBook
from rungway.models.pins.config import parse_pinning
from rungway.models.pins.store import PinStore
from tests.prompts.support import open_store

CONFIG = parse_pinning({"workloads": {"test": {"pins": {"gpt-4o": "gpt-4o-2024-05-13"}}}})


def test_set_and_rollback_record_who_when_from_to_and_why(store_url: str) -> None:
    store = PinStore(open_store(store_url), CONFIG)
    book = PinBook(CONFIG, store)
    assert book.pin("test", "gpt-4o") == "gpt-4o-2024-05-13"  # the seed, before any load
    first = store.set_pin("test", "gpt-4o", "gpt-4o-2024-08-06", "ana", "evals passed", "upg_1", now=100.0)
    assert (first.from_snapshot, first.to_snapshot, first.actor, first.report_id) == (
        "gpt-4o-2024-05-13", "gpt-4o-2024-08-06", "ana", "upg_1")  # fmt: skip
    store.set_pin("test", "gpt-4o", "gpt-4o-2024-11-20", "bo", "try the newest", now=200.0)
    store.set_pin("other", "claude", "claude-3-5-sonnet-20241022", "cy", "first pin", now=300.0)
    book.load()
    assert book.pin("test", "gpt-4o") == "gpt-4o-2024-11-20" and book.pin("other", "claude")
    assert [(p.alias, p.snapshot, p.source) for p in store.pins("test")] == [("gpt-4o", "gpt-4o-2024-11-20", "store")]

    back = store.rollback("test", "gpt-4o", "ana", "slower", now=400.0)
    assert (back.from_snapshot, back.to_snapshot) == ("gpt-4o-2024-11-20", "gpt-4o-2024-08-06")
    book.load()
    assert book.pin("test", "gpt-4o") == "gpt-4o-2024-08-06"
    history = store.history("test")
    assert [(c.kind, c.to_snapshot, c.actor, c.reason) for c in history] == [
        ("rollback", "gpt-4o-2024-08-06", "ana", "slower"),
        ("set", "gpt-4o-2024-11-20", "bo", "try the newest"),
        ("set", "gpt-4o-2024-08-06", "ana", "evals passed"),
    ]
    assert [c.workload for c in store.history(None)].count("other") == 1


def test_rolling_back_the_first_change_restores_the_seed_or_nothing(store_url: str) -> None:
    store = PinStore(open_store(store_url), CONFIG)
    store.set_pin("test", "gpt-4o", "gpt-4o-2024-08-06", "ana", "upgrade")
    store.rollback("test", "gpt-4o", "ana")
    assert [(p.snapshot, p.source) for p in store.pins("test")] == [("gpt-4o-2024-05-13", "config")]
    store.set_pin("test", "mini", "gpt-4o-mini-2024-07-18", "ana", "pin it")
    assert store.rollback("test", "mini", "ana").to_snapshot is None
    assert [p.alias for p in store.pins("test")] == ["gpt-4o"]
    with pytest.raises(NotFound):
        store.rollback("test", "never-pinned", "ana")
    with pytest.raises(InvalidRequest):
        store.set_pin("test", "gpt-4o", "gpt-4o", "ana", "to itself")
