"""The write-ahead log (`store/write_ahead.py`): accepted records reach a local file before the store,
segments whose records all reached the store are deleted, and what is left is there to replay."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rungway.store.record_files import RecordCodec, RecordFiles
from rungway.store.write_ahead import WriteAheadLog


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    value: int


def files(directory: Path) -> RecordFiles[Row]:
    return RecordFiles(directory, "rows", RecordCodec(Row, ("id",)))


def replayed(directory: Path) -> list[Row]:
    """What the next start would replay, in order."""
    found = files(directory)
    return [row for path in found.left_by_earlier_runs() for chunk in found.read(path, 100) for row in chunk]


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.001)  # polling the sync thread's progress, not waiting for time to pass
    assert condition()


def test_records_are_on_disk_once_synced_before_any_reaches_the_store(tmp_path: Path) -> None:
    wal = WriteAheadLog(files(tmp_path), lambda: 0, sync_interval_s=0.001)
    wal.start()
    try:
        for i in range(5):
            wal.append(Row(f"r{i}", i))
        wait_until(lambda: wal.synced == 5)
        assert replayed(tmp_path) == [Row(f"r{i}", i) for i in range(5)]  # what a kill -9 now would leave
    finally:
        wal.close()
    assert replayed(tmp_path) == [Row(f"r{i}", i) for i in range(5)]  # none reached the store: all kept


def test_close_syncs_what_is_pending_and_deletes_segments_the_store_has(tmp_path: Path) -> None:
    written = [0]
    wal = WriteAheadLog(files(tmp_path), lambda: written[0])
    for i in range(3):
        wal.append(Row(f"r{i}", i))
    written[0] = 3
    wal.close()
    assert wal.synced == 3 and replayed(tmp_path) == []


def test_only_segments_whose_every_record_reached_the_store_are_deleted(tmp_path: Path) -> None:
    written = [0]
    wal = WriteAheadLog(files(tmp_path), lambda: written[0], sync_interval_s=0.001, segment_bytes=1)
    wal.start()
    try:
        for i in range(3):  # one segment per sync: each is sealed as soon as it passes one byte
            wal.append(Row(f"r{i}", i))
            wait_until(lambda i=i: wal.synced == i + 1)
        written[0] = 2
        wait_until(lambda: len(list(tmp_path.glob("rows.wal.*.jsonl"))) == 1)  # the sync thread deletes two
    finally:
        wal.close()
    assert replayed(tmp_path) == [Row("r2", 2)]


def test_an_idle_log_writes_no_file(tmp_path: Path) -> None:
    wal = WriteAheadLog(files(tmp_path / "spill"), lambda: 0, sync_interval_s=0.001)
    wal.start()
    wal.close()
    assert wal.synced == 0 and not (tmp_path / "spill").exists()
