"""`store.py`: stored responses written in order (a delete after its insert wins), read per workload, purged
by age; on SQLite and PostgreSQL."""

from __future__ import annotations

import time

from rungway.capability import migration_packages
from rungway.responses.model import DeletedResponse, StoredResponse
from rungway.responses.store import delete_response, load_response, purge_responses, write_responses
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade


def test_writes_reads_deletes_and_purges(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    now = time.time()
    item = {"type": "message", "id": "msg_a_i0", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    fresh = StoredResponse("resp_a", "w", now, [item], {"id": "resp_a", "output": []}, depth=2)
    old = StoredResponse("resp_old", "w", now - 100, [], {"id": "resp_old", "output": []})
    gone = StoredResponse("resp_gone", "w", now, [], {"id": "resp_gone", "output": []})
    write_responses(engine, [fresh, old, gone, DeletedResponse("resp_gone", "w")])
    assert load_response(engine, "w", "resp_a", 0) == fresh
    assert load_response(engine, "other", "resp_a", 0) is None
    assert load_response(engine, "w", "resp_gone", 0) is None
    assert load_response(engine, "w", "resp_old", now - 50) is None  # past the retention
    assert purge_responses(engine, now - 50) == 1 and load_response(engine, "w", "resp_old", 0) is None
    assert not delete_response(engine, "other", "resp_a") and delete_response(engine, "w", "resp_a")
    engine.dispose()
