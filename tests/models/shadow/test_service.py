"""Starting, stopping and finding runs on the store (SQLite and PostgreSQL): one active run per workload."""

from __future__ import annotations

import pytest

from rungway.capability import migration_packages
from rungway.errors import InvalidRequest
from rungway.models.shadow.book import ShadowBook
from rungway.models.shadow.config import ShadowConfig
from rungway.models.shadow.service import latest_run, start_run, stop_run
from rungway.models.shadow.store import find_run
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade

MODELS = ("a", "b", "c")


def test_runs_start_replace_stop_and_are_found(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    try:
        first = start_run(engine, MODELS, workload="w", from_model="a", to_model="b", sample=0.1, ends_at=1e9 + 3600,
                          actor="ana", now=1e9)  # fmt: skip
        second = start_run(engine, MODELS, workload="w", from_model="a", to_model="c", sample=0.2, ends_at=1e9 + 3600,
                           actor="ben", now=1e9 + 1)  # fmt: skip
        replaced = find_run(engine, first.id)
        assert replaced is not None and replaced.stopped_by == "ben" and not replaced.active(1e9 + 2)
        book = ShadowBook(engine, ShadowConfig(), clock=lambda: 1e9 + 2)
        book.note_dropped(second.id)
        book.load()
        assert book.runs["w"].id == second.id and book.runs["w"].dropped == 1
        assert latest_run(engine, "w", "a", "b") == replaced and latest_run(engine, "w", "b", "a") is None
        assert stop_run(engine, "w", "ana") == [second.id] and stop_run(engine, "w", "ana") == []
        book.load()
        assert book.runs == {}
        for field, kwargs in (("to", {"to_model": "zz"}), ("to", {"to_model": "a"}), ("sample", {"sample": 0.0}),
                              ("ends_at", {"ends_at": 1.0}), ("max_in_flight", {"max_in_flight": 0})):  # fmt: skip
            with pytest.raises(InvalidRequest) as caught:
                start_run(engine, MODELS, **{"workload": "w", "from_model": "a", "to_model": "b", "sample": 0.1,
                                             "ends_at": 1e9 + 3600, "actor": "x", "now": 1e9, **kwargs})  # type: ignore[arg-type]  # fmt: skip
            assert caught.value.param == field
    finally:
        engine.dispose()
