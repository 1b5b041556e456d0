"""Records a stopping writer could not store are spilled to disk and replayed once at the next start."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import orjson
from sqlalchemy import func, select

from rungway.capability import migration_packages
from rungway.domain.records import RequestRecord
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.record_files import default_spill_dir
from rungway.store.requests import REQUEST_CODEC, insert_requests
from rungway.store.schema import requests
from rungway.store.writer import BatchWriter


def record(i: int) -> RequestRecord:
    now = time.time()
    return RequestRecord(
        id=f"req_{i:06d}", ts_start=now, ts_end=now, workload="w", key_id="k", user=None, team=None, tags={"n": str(i)}
    )


def down(_batch: Sequence[RequestRecord]) -> None:
    raise ConnectionRefusedError("store unreachable")


def test_close_with_store_down_spills_and_a_replay_twice_stores_each_record_once(
    store_url: str, tmp_path: Path
) -> None:
    spill = tmp_path / "spill"
    stopping: BatchWriter[RequestRecord] = BatchWriter("requests", down, flush_interval_s=0.01, codec=REQUEST_CODEC)
    stopping.use_disk(spill)
    stopping.start()
    assert stopping.offer_many([record(i) for i in range(50)])
    stopping.close(timeout_s=0.2)
    assert stopping.spilled == 50 and stopping.lost_on_close == 0 and not stopping.store_ok
    (spilled,) = spill.glob("requests.spill.*.jsonl")
    kept = shutil.copy(spilled, tmp_path / "copy.jsonl")

    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    for attempt in range(2):  # a crash mid-replay replays the same file again
        if attempt:
            shutil.copy(kept, spilled)
        writer: BatchWriter[RequestRecord] = BatchWriter(
            "requests", lambda b: insert_requests(engine, b), batch_size=16, codec=REQUEST_CODEC
        )
        writer.use_disk(spill)
        writer.start()
        writer.close()
        assert writer.replayed == 50
        assert not spilled.exists()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(requests)).scalar_one() == 50
        tags = conn.execute(select(requests.c.tags).where(requests.c.id == "req_000007")).scalar_one()
    engine.dispose()
    assert tags == '{"n":"7"}'  # the record came back whole


def test_close_without_a_spill_directory_counts_and_logs_the_loss(caplog: object) -> None:
    writer: BatchWriter[RequestRecord] = BatchWriter("requests", down, flush_interval_s=0.01)
    writer.start()
    assert writer.offer_many([record(i) for i in range(7)])
    writer.close(timeout_s=0.1)
    assert writer.lost_on_close == 7 and writer.spilled == 0
    assert "7 records LOST at shutdown" in caplog.text  # type: ignore[attr-defined]


def test_default_spill_dir_sits_beside_the_sqlite_database() -> None:
    assert default_spill_dir("sqlite:////var/lib/rungway/gw.db") == Path("/var/lib/rungway/.rungway/spill")
    assert default_spill_dir("postgresql://db/rungway") == Path(".rungway/spill")


def test_a_second_process_on_the_same_spill_dir_leaves_its_files_alone(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    owner: BatchWriter[RequestRecord] = BatchWriter("requests", down, flush_interval_s=0.01, codec=REQUEST_CODEC)
    owner.use_disk(spill, write_ahead=True)
    owner.start()
    assert owner.offer(record(1))
    # Another gateway on the same directory must not replay the owner's live write-ahead segment.
    second: BatchWriter[RequestRecord] = BatchWriter("requests", down, flush_interval_s=0.01, codec=REQUEST_CODEC)
    second.use_disk(spill, write_ahead=True)
    second.start()
    second.close(timeout_s=0.1)
    assert second.replayed == 0 and second.spilled == 0
    owner.close(timeout_s=0.1)
    assert owner.spilled == 1
    assert list(spill.glob("requests.wal.*.jsonl")), "the owner's segment is kept for the next start"


def test_a_store_write_hanging_at_shutdown_has_its_batch_spilled_too(tmp_path: Path) -> None:
    hung = threading.Event()
    release = threading.Event()

    def hanging(_batch: Sequence[RequestRecord]) -> None:
        hung.set()
        release.wait(60)  # a database that never answers

    writer: BatchWriter[RequestRecord] = BatchWriter(
        "requests", hanging, batch_size=4, flush_interval_s=0.01, codec=REQUEST_CODEC
    )
    writer.use_disk(tmp_path / "spill")
    writer.start()
    assert writer.offer_many([record(i) for i in range(10)])
    assert hung.wait(10)
    try:
        writer.close(timeout_s=0.1)
    finally:
        release.set()
    assert writer.spilled == 10  # the 4 in the hanging write and the 6 still queued
    (spilled,) = (tmp_path / "spill").glob("requests.spill.*.jsonl")
    header, *lines = spilled.read_bytes().splitlines()
    assert header.startswith(b'{"fields":["id",')
    ids = [line.split(b",", 1)[0] for line in lines]
    assert ids == [f'["req_{i:06d}"'.encode() for i in range(10)]  # in acceptance order


def test_a_spill_file_from_an_older_record_layout_replays_by_field_name(sqlite_url: str, tmp_path: Path) -> None:
    """A file written before a field was added (and with one since removed) still replays after an upgrade."""
    spill = tmp_path / "spill"
    spill.mkdir()
    now = time.time()
    older = ["id", "ts_start", "ts_end", "workload", "key_id", "user", "team", "retired_field", "status"]
    lines = [orjson.dumps({"fields": older})]
    lines += [orjson.dumps([f"req_old_{i}", now, now, "w", "k", None, None, "gone", 200]) for i in range(3)]
    lines.append(b'["req_broken"]')  # cannot make a record: skipped, the rest still replays
    (spill / "requests.spill.1-1.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    engine = create_store_engine(sqlite_url)
    upgrade(engine, migration_packages())
    writer: BatchWriter[RequestRecord] = BatchWriter(
        "requests", lambda b: insert_requests(engine, b), codec=REQUEST_CODEC
    )
    writer.use_disk(spill)
    writer.start()
    writer.close()
    with engine.connect() as conn:
        stored = sorted(conn.execute(select(requests.c.id)).scalars())
    engine.dispose()
    assert stored == ["req_old_0", "req_old_1", "req_old_2"]
    assert not list(spill.glob("requests.spill.*"))


def test_a_spill_file_from_before_the_prompt_columns_replays_with_no_prompt_and_a_new_one_keeps_it(
    store_url: str, tmp_path: Path
) -> None:
    spill = tmp_path / "spill"
    spill.mkdir()
    now = time.time()
    before_f0068 = ["id", "ts_start", "ts_end", "workload", "key_id", "user", "team", "status", "user_from_request"]
    old = [orjson.dumps({"fields": before_f0068}), orjson.dumps(["req_old", now, now, "w", "k", None, None, 200, True])]
    (spill / "requests.spill.1-1.jsonl").write_bytes(b"\n".join(old) + b"\n")
    stopping: BatchWriter[RequestRecord] = BatchWriter("requests", down, flush_interval_s=0.01, codec=REQUEST_CODEC)
    stopping.use_disk(spill / "new")
    stopping.start()
    named = record(1)
    named.prompt_name, named.prompt_version = "support-answer", 3
    assert stopping.offer_many([named])
    stopping.close(timeout_s=0.2)
    for path in (spill / "new").glob("requests.spill.*"):
        path.rename(spill / path.name)
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    writer: BatchWriter[RequestRecord] = BatchWriter(
        "requests", lambda b: insert_requests(engine, b), codec=REQUEST_CODEC
    )
    writer.use_disk(spill)
    writer.start()
    writer.close()
    with engine.connect() as conn:
        stored = conn.execute(select(requests.c.id, requests.c.prompt_name, requests.c.prompt_version)).all()
    engine.dispose()
    assert sorted(tuple(r) for r in stored) == [("req_000001", "support-answer", 3), ("req_old", None, None)]
