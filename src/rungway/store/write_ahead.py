"""`recorder.durability: write-ahead`: every accepted record reaches a local file before the store.

The event loop only appends the record object to a list. A thread encodes the list, appends it to
the current segment file and fsyncs, once per `recorder.write_ahead_sync_ms` (group commit), so a
`kill -9` loses at most the records accepted in the last sync interval instead of every queued one.
A segment is deleted once the batch writer has written (or quarantined) every record in it; the
segments a crash leaves behind are replayed at the next start (`RecordFiles.left_by_earlier_runs`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Generic, TypeVar

from rungway.store.record_files import RecordFiles

T = TypeVar("T")
log = logging.getLogger("rungway.store.write_ahead")


@dataclass(slots=True)
class _Segment:
    path: Path
    last_seq: int  # the sequence number (1-based, in acceptance order) of its last record


class WriteAheadLog(Generic[T]):
    """Group-fsynced append-only segments of one writer's accepted records."""

    def __init__(
        self,
        files: RecordFiles[T],
        completed: Callable[[], int],
        *,
        sync_interval_s: float = 0.02,
        segment_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        self._files = files
        self._completed = completed
        self._interval = sync_interval_s
        self._segment_bytes = segment_bytes
        self._pending: list[T] = []
        self._synced = 0  # records fsynced to a segment
        self._closed: list[_Segment] = []
        self._current: _Segment | None = None
        self._out: IO[bytes] | None = None
        self._size = 0
        self._count = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sync_failures = 0

    @property
    def synced(self) -> int:
        return self._synced

    def append(self, record: T) -> None:
        """Called on the event loop: O(1), no I/O."""
        self._pending.append(record)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"rungway-wal-{self._files.writer}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Sync what is pending; delete every segment whose records all reached the store."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sync()
        self._seal()
        self._forget_written()
        kept = len(self._closed)
        if kept:
            log.warning(
                "writer %s: %d write-ahead segment(s) kept in %s for replay at the next start",
                self._files.writer,
                kept,
                self._files.directory,
            )

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._sync()
                if self._size >= self._segment_bytes or (self._count and self._completed() >= self._synced):
                    self._seal()
                self._forget_written()
            except OSError:
                # A full or read-only disk: the records stay in memory (and the queue still writes
                # them to the store); we keep trying so durability resumes when the disk recovers.
                self.sync_failures += 1
                log.exception("writer %s: write-ahead sync failed", self._files.writer)

    def _sync(self) -> None:
        if not self._pending:
            return
        group, self._pending = self._pending, []
        encode = self._files.codec.encode
        data = b"".join(encode(r) for r in group)
        if self._out is None:
            self._current = _Segment(self._files.wal_segment(len(self._closed)), 0)
            self._out = self._current.path.open("ab")
            self._size = self._count = 0
            data = self._files.codec.header() + data
        try:
            self._out.write(data)
            self._out.flush()
            os.fsync(self._out.fileno())
        except OSError:
            self._pending[:0] = group  # retried at the next sync, in order
            raise
        self._synced += len(group)
        self._size += len(data)
        self._count += len(group)
        assert self._current is not None
        self._current.last_seq = self._synced

    def _seal(self) -> None:
        if self._out is not None and self._current is not None:
            self._out.close()
            self._closed.append(self._current)
            self._out, self._current = None, None

    def _forget_written(self) -> None:
        done = self._completed()
        while self._closed and self._closed[0].last_seq <= done:
            self._closed.pop(0).path.unlink(missing_ok=True)
