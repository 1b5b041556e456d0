"""The bounded queue and batch writer that keep the database off the request path.

The request handler calls `offer()`, which never blocks: it appends to a bounded queue or, when
the queue is full, counts the record as dropped and returns False. A writer thread drains the
queue in batches into a sink (one `executemany` per batch), at most one flush interval after a
record arrives, sooner when a batch is full.

What the store refuses is sorted by kind (`write_errors.is_data_error`):
- a data error (one bad row) splits the batch in halves until the bad row stands alone; every good
  row is written and the bad one quarantined (a JSON line in the spill directory, counted, logged
  once with its id). A data error is never retried.
- anything else (the store is down) is retried with backoff while the queue absorbs new records.

`close()` drains everything accepted. If the store stays down past the grace period, the records
still unwritten are spilled to a local file (with a codec and spill directory attached) that the
next start replays, and the loss is logged in one line and counted either way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

from rungway.store.record_files import RecordCodec, RecordFiles
from rungway.store.write_ahead import WriteAheadLog
from rungway.store.write_errors import describe, is_data_error, is_duplicate

T = TypeVar("T")
log = logging.getLogger("rungway.store.writer")

_MAX_BACKOFF_S = 2.0


class _StoreUnavailable(Exception):
    """The sink failed for a reason other than the rows: `remaining` (in order) must be retried."""

    def __init__(self, remaining: list[Any], cause: BaseException) -> None:
        super().__init__(describe(cause))
        self.remaining = remaining
        self.cause = cause


class BatchWriter(Generic[T]):
    """A bounded, thread-drained queue feeding `sink(batch)`; counts accepted, written, dropped."""

    def __init__(
        self,
        name: str,
        sink: Callable[[Sequence[T]], None],
        *,
        max_queue: int = 100_000,
        batch_size: int = 2_000,
        flush_interval_s: float = 0.1,
        codec: RecordCodec[T] | None = None,
    ) -> None:
        self.name = name
        self._sink = sink
        self._max_queue = max_queue
        self._batch_size = batch_size
        self._interval = flush_interval_s
        self.codec = codec
        self._files: RecordFiles[T] | None = None
        self._wal: WriteAheadLog[T] | None = None
        self._replay: list[Path] = []
        self._queue: deque[T] = deque()
        self._wake = threading.Event()
        self._abandon = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.accepted = 0
        self.written = 0
        self.dropped = 0
        self.failed_batches = 0
        self.quarantined = 0
        self.spilled = 0
        self.replayed = 0
        self.lost_on_close = 0
        self.store_ok = True
        self.store_error: str | None = None
        self._resolved = 0  # accepted records written or quarantined, in acceptance order
        self._in_flight: list[T] = []  # the live batch being written, for a shutdown that cannot wait
        self._idle = threading.Condition()

    @property
    def depth(self) -> int:
        return len(self._queue)

    @property
    def capacity_left(self) -> int:
        return self._max_queue - len(self._queue)

    def use_disk(
        self,
        directory: Path,
        *,
        write_ahead: bool = False,
        sync_interval_s: float = 0.02,
        quarantine_max_bytes: int = 100 * 2**20,
    ) -> None:
        """Spill, quarantine and replay through `directory` (needs a codec); call before `start()`."""
        if self.codec is None:
            return
        self._files = RecordFiles(directory, self.name, self.codec, quarantine_max_bytes=quarantine_max_bytes)
        if write_ahead:
            self._wal = WriteAheadLog(self._files, lambda: self._resolved, sync_interval_s=sync_interval_s)

    def start(self) -> None:
        if self._thread is None:
            if self._files is not None and not self._claim_files(self._files):
                self._files = self._wal = None
            if self._files is not None:
                self._replay = self._files.left_by_earlier_runs()
            if self._wal is not None:
                self._wal.start()
            self._thread = threading.Thread(target=self._run, name=f"rungway-writer-{self.name}", daemon=True)
            self._thread.start()

    def _claim_files(self, files: RecordFiles[T]) -> bool:
        try:
            if files.claim():
                return True
            problem = "in use by another running gateway"
        except OSError as exc:
            problem = f"not usable ({exc.strerror})"
        log.error(
            "writer %s: spill directory %s is %s; this process will not quarantine, spill or replay records."
            " Fix: give each gateway process its own recorder.spill_dir",
            self.name,
            files.directory,
            problem,
        )
        return False

    def offer(self, item: T) -> bool:
        """Queue one record without blocking; False (and counted) when the queue is full."""
        if len(self._queue) >= self._max_queue or self._stopping:
            self.dropped += 1
            return False
        self._queue.append(item)
        self.accepted += 1
        if self._wal is not None:
            self._wal.append(item)
        if len(self._queue) >= self._batch_size:
            self._wake.set()
        return True

    def offer_many(self, items: Sequence[T]) -> bool:
        """Queue a group of records all or nothing; False (and counted) when they do not fit."""
        if len(self._queue) + len(items) > self._max_queue or self._stopping:
            self.dropped += len(items)
            return False
        self._queue.extend(items)
        self.accepted += len(items)
        if self._wal is not None:
            for item in items:
                self._wal.append(item)
        if len(self._queue) >= self._batch_size:
            self._wake.set()
        return True

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until everything accepted so far is resolved (for tests and read-your-writes)."""
        target = self.accepted
        deadline = time.monotonic() + timeout_s
        self._wake.set()
        with self._idle:
            while self._resolved + self.lost_on_close + self.spilled < target:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._wake.set()
                self._idle.wait(min(remaining, 0.05))
        return True

    def close(self, timeout_s: float = 30.0) -> None:
        """Stop accepting and write everything queued; past `timeout_s` spill what is left."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                self._abandon.set()  # stop retrying: the unwritten batch goes back to the queue
                self._thread.join(max(5.0, self._interval * 2))
            hanging = self._thread.is_alive()
            self._thread = None
            if hanging:
                # The store never answered: the batch may or may not commit. Keep it too; a replayed
                # record that did commit is stored once (the insert ignores a known id).
                log.error("writer %s: a store write is still hanging at shutdown; keeping its batch", self.name)
                self._queue.extendleft(reversed(self._in_flight))
        left = list(self._queue)
        self._queue.clear()
        if left:
            self._keep_for_next_start(left)
        if self._wal is not None:
            self._wal.close()
        if self._files is not None:
            self._files.release()

    def _keep_for_next_start(self, left: list[T]) -> None:
        """Say the loss loudly, and put the records where the next start finds them."""
        why = self.store_error or "no answer within recorder.shutdown_grace_ms"
        if self._wal is not None:
            # Every accepted record is already in a write-ahead segment, kept because unwritten.
            self.spilled += len(left)
            log.error(
                "writer %s: store unavailable (%s); %d records not written at shutdown, kept in the write-ahead"
                " file for replay at the next start",
                self.name,
                why,
                len(left),
            )
            return
        if self._files is not None:
            try:
                path = self._files.spill(left)
            except OSError as exc:
                log.error("writer %s: could not spill to %s: %s", self.name, self._files.directory, exc)
            else:
                self.spilled += len(left)
                log.error(
                    "writer %s: store unavailable (%s); %d records not written at shutdown, spilled to %s"
                    " for replay at the next start",
                    self.name,
                    why,
                    len(left),
                    path,
                )
                return
        self.lost_on_close += len(left)
        log.error("writer %s: store unavailable (%s); %d records LOST at shutdown", self.name, why, len(left))

    def _take(self) -> list[T]:
        batch: list[T] = []
        queue = self._queue
        while queue and len(batch) < self._batch_size:
            batch.append(queue.popleft())
        return batch

    def _run(self) -> None:
        self._replay_earlier_runs()
        while True:
            # Gather records for up to one flush interval (less when a batch fills up, or on flush()
            # or close()): writing each trickle at once committed a tiny transaction every few
            # records under load, and commits were most of the writer's CPU (docs/benchmarks.md).
            if len(self._queue) < self._batch_size and not self._stopping:
                self._wake.wait(self._interval)
                self._wake.clear()
            if not self._queue:
                if self._stopping:
                    return
                continue
            batch = self._in_flight = self._take()
            if not self._write_until_done(batch, live=True):
                return
            self._in_flight = []

    def _write_until_done(self, batch: list[T], *, live: bool) -> bool:
        """Write a batch, retrying while the store is unavailable; False when told to give up."""
        backoff = 0.05
        while True:
            try:
                self._write_resolving_bad_rows(batch, live=live)
                break
            except _StoreUnavailable as exc:
                batch = exc.remaining
                self.failed_batches += 1
                self.store_ok, self.store_error = False, str(exc)
                log.warning(
                    "writer %s: store unavailable (%s); %d records retried in %.2fs",
                    self.name,
                    exc,
                    len(batch),
                    backoff,
                )
                if self._abandon.wait(backoff):
                    if live:
                        self._queue.extendleft(reversed(batch))
                    return False
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
        with self._idle:
            self._idle.notify_all()
        return True

    def _write_resolving_bad_rows(self, batch: list[T], *, live: bool) -> None:
        """Write every row of `batch` or quarantine it; raise `_StoreUnavailable` with the rest."""
        parts: deque[list[T]] = deque([batch])
        while parts:
            part = parts.popleft()
            try:
                self._sink(part)
            except Exception as exc:
                if not is_data_error(exc):
                    raise _StoreUnavailable([r for p in (part, *parts) for r in p], exc) from exc
                if len(part) == 1:
                    if is_duplicate(exc):
                        # Already stored: replayed after a restart, or a live batch retried after a commit
                        # that landed but was not acknowledged. Stored once, and counted as written once.
                        self._resolve(1, live, written=live)
                        continue
                    self._quarantine(part[0], exc)
                    self._resolve(1, live, written=False)
                    continue
                middle = len(part) // 2
                parts.appendleft(part[middle:])
                parts.appendleft(part[:middle])
                continue
            self.store_ok, self.store_error = True, None
            self._resolve(len(part), live, written=True)

    def _resolve(self, count: int, live: bool, *, written: bool) -> None:
        if written:
            self.written += count
        if live:
            self._resolved += count
        else:
            self.replayed += count if written else 0

    def _quarantine(self, record: T, exc: BaseException) -> None:
        self.quarantined += 1
        reason = describe(exc)
        record_id = self.codec.record_id(record) if self.codec is not None else "?"
        where = "not kept (no spill directory)"
        if self._files is not None:
            try:
                path = self._files.quarantine(record, reason)
                where = (
                    f"kept in {path}" if path else "NOT kept: the quarantine file reached recorder.quarantine_max_bytes"
                )
            except (OSError, TypeError, ValueError) as err:  # the thread must live on whatever the row holds
                where = f"NOT kept: {err}"
        log.error("writer %s: store refused record %s (%s); quarantined, %s", self.name, record_id, reason, where)

    def _replay_earlier_runs(self) -> None:
        """Write what an earlier run spilled or left in write-ahead segments, then delete the files."""
        files = self._files
        if files is None:
            return
        for path in self._replay:
            count = 0
            for chunk in files.read(path, self._batch_size):
                if not self._write_until_done(chunk, live=False):
                    return  # shutting down with the store still down: the file stays for next time
                count += len(chunk)
            path.unlink(missing_ok=True)
            log.warning("writer %s: replayed %d records left by an earlier run (%s)", self.name, count, path.name)
        self._replay = []
