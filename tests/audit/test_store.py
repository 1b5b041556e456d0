"""The append lock: concurrent appends from threads and from two engines (two replicas) never fork the chain
or leave a gap, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import threading

from rungway.audit.model import GENESIS, RecordDraft
from rungway.audit.service import verify_store
from rungway.audit.store import append_records, head_of, iter_records, list_records
from rungway.store.engine import create_store_engine
from tests.audit.support import open_store, seed_changes

THREADS = 6
EACH = 15


def test_concurrent_appends_from_two_engines_make_one_gapless_chain(store_url: str) -> None:
    engines = [open_store(store_url), create_store_engine(store_url)]  # two replicas on one store
    failures: list[BaseException] = []

    def append(n: int) -> None:
        try:
            for i in range(EACH):
                draft = RecordDraft(actor=f"t{n}", via="api", action="keys.update", status=200, object_id=str(i))
                append_records(engines[n % 2], [draft], 1_700_000_000.0 + i)
        except BaseException as exc:  # a failed append is the test's failure, reported below
            failures.append(exc)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    records = list(iter_records(engines[0]))
    assert [r.seq for r in records] == list(range(1, THREADS * EACH + 1))
    assert records[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(records))
    assert head_of(engines[0]) == (THREADS * EACH, records[-1].hash)
    report = verify_store(engines[1], None, None)
    assert report.intact and report.records == THREADS * EACH, report.summary()
    for engine in engines:
        engine.dispose()


def test_a_batch_is_sealed_in_order_and_listed_newest_first(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    seed_changes(engine, 3)
    seed_changes(engine, 2, workload="other")
    assert [r.seq for r in list_records(engine)] == [5, 4, 3, 2, 1]
    assert [r.seq for r in list_records(engine, workload="other")] == [5, 4]
    assert [r.seq for r in list_records(engine, action="keys.*", before_seq=3, limit=1)] == [2]
    assert list_records(engine, actor="bob") == []
    assert [r.seq for r in iter_records(engine, 2, 3, batch=1)] == [2, 3]
