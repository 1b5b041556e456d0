"""Records on local disk, for when the store cannot take them: quarantine, spill and write-ahead files.

One directory (`recorder.spill_dir`) holds, per writer (`requests`, `spans`, `budget_events`):
- `<writer>.quarantine.jsonl`: rows the store refused (a data error), one JSON line each with the
  error, for an operator to read; never replayed automatically.
- `<writer>.spill.<time>-<pid>.jsonl`: records not written when the process stopped with the store
  down; replayed into the store at the next start, then deleted.
- `<writer>.wal.<time>-<pid>-<n>.jsonl`: with `recorder.durability: write-ahead`, every accepted
  record, appended and fsynced in groups; a segment is deleted once all its records are in the store,
  and whatever remains after a crash is replayed at the next start.

Records are encoded by a `RecordCodec`: a JSON array of the record's fields in order (bytes as
base64), so a dataclass or NamedTuple needs no hand-written mapping. Spill files and write-ahead
segments open with a `{"fields": [...]}` line, so a file written before an upgrade that added or
removed a field is read back by name.
"""

from __future__ import annotations

import base64
import dataclasses
import fcntl
import json
import logging
import operator
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import orjson

T = TypeVar("T")
_BYTES = "$b64"
log = logging.getLogger("rungway.store.record_files")


def _bytes_as_json(value: Any) -> Any:
    """orjson's hook for what it cannot encode itself: bytes (span content) become base64."""
    if isinstance(value, bytes):
        return {_BYTES: base64.b64encode(value).decode()}
    raise TypeError


def _plain(value: Any) -> Any:
    return {_BYTES: base64.b64encode(value).decode()} if isinstance(value, bytes) else value


def _dumps(value: Any) -> bytes:
    """orjson, or the standard library for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value, default=_bytes_as_json)
    except TypeError:
        return json.dumps(value, default=lambda v: _plain(v) if isinstance(v, bytes) else repr(v)).encode()


def _loads(line: bytes) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


def _restore(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1 and _BYTES in value:
        return base64.b64decode(value[_BYTES])
    return value


class RecordCodec(Generic[T]):
    """Turns one record (a dataclass or NamedTuple) into a JSON line and back, and names it in logs."""

    def __init__(self, record_type: Callable[..., T], id_fields: Sequence[str]) -> None:
        self._make = record_type
        self._id_fields = tuple(id_fields)
        if dataclasses.is_dataclass(record_type):
            names = tuple(f.name for f in dataclasses.fields(record_type))
        else:
            names = tuple(getattr(record_type, "_fields", ()))
        if not names:
            raise TypeError(f"{record_type!r} is neither a dataclass nor a NamedTuple")
        self._fields = names
        # One C-level call per record: the write-ahead log encodes every accepted record.
        self._values = operator.attrgetter(*names) if len(names) > 1 else lambda r: (getattr(r, names[0]),)

    def values(self, record: T) -> tuple[Any, ...]:
        values: tuple[Any, ...] = self._values(record)
        return values

    def encode(self, record: T) -> bytes:
        return _dumps(self._values(record)) + b"\n"

    def header(self) -> bytes:
        """The first line of every file: the field names, so a file outlives a change of the record's fields."""
        return orjson.dumps({"fields": self._fields}) + b"\n"

    def decoder(self, names: Sequence[str] | None = None) -> Callable[[bytes], T]:
        """Decode lines written with the fields `names` (default: today's); unknown fields are ignored."""
        written = tuple(names) if names is not None else self._fields
        known = set(self._fields)
        make = self._make

        def decode(line: bytes) -> T:
            values = _loads(line)
            return make(**{n: _restore(v) for n, v in zip(written, values, strict=True) if n in known})

        return decode

    def decode(self, line: bytes) -> T:
        return self.decoder()(line)

    def record_id(self, record: T) -> str:
        """What an operator greps for: the call id, or trace and span ids."""
        return "/".join(str(getattr(record, name)) for name in self._id_fields)


def default_spill_dir(database_url: str) -> Path:
    """Beside a SQLite database file (`<dir>/.rungway/spill`), else `./.rungway/spill`."""
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if database_url.startswith(prefix):
            db = database_url[len(prefix) :].split("?", 1)[0]
            if db and db != ":memory:":
                return Path(db).parent / ".rungway" / "spill"
    return Path(".rungway") / "spill"


class RecordFiles(Generic[T]):
    """One writer's files in the spill directory (created on first write)."""

    def __init__(
        self, directory: Path, writer: str, codec: RecordCodec[T], *, quarantine_max_bytes: int = 100 * 2**20
    ) -> None:
        self.directory = directory
        self.writer = writer
        self.codec = codec
        self.quarantine_max_bytes = quarantine_max_bytes
        self._lock: int | None = None

    def claim(self) -> bool:
        """Take this writer's files for this process; False when another running gateway has them.

        Two processes on one directory would replay each other's live write-ahead segments."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / f"{self.writer}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._lock = fd
        return True

    def release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor releases the lock
            self._lock = None

    def _stamp(self) -> str:
        return f"{time.time_ns()}-{os.getpid()}"

    def quarantine(self, record: T, error: str) -> Path | None:
        """Append one refused row with its error (one line per row, for people); None when the file is full.

        A caller sending a value the store refuses on every call must not fill the disk."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{self.writer}.quarantine.jsonl"
        if path.exists() and path.stat().st_size >= self.quarantine_max_bytes:
            return None
        line = _dumps(
            {"at": time.time(), "id": self.codec.record_id(record), "error": error, "record": self.codec.values(record)}
        )
        with path.open("ab") as out:
            out.write(line + b"\n")
        return path

    def spill(self, records: Sequence[T]) -> Path:
        """Write records that could not reach the store, durably, for the next start to replay."""
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"{self.writer}.spill.{self._stamp()}.jsonl"
        partial = final.with_suffix(".partial")
        with partial.open("wb") as out:
            out.write(self.codec.header())
            out.writelines(self.codec.encode(r) for r in records)
            out.flush()
            os.fsync(out.fileno())
        partial.rename(final)  # a half-written spill file is never replayed
        return final

    def wal_segment(self, number: int) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.directory / f"{self.writer}.wal.{self._stamp()}-{number}.jsonl"

    def left_by_earlier_runs(self) -> list[Path]:
        """Spill files and write-ahead segments to replay, oldest first."""
        if not self.directory.is_dir():
            return []
        found = [
            *self.directory.glob(f"{self.writer}.spill.*.jsonl"),
            *self.directory.glob(f"{self.writer}.wal.*.jsonl"),
        ]
        return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def read(self, path: Path, chunk: int) -> Iterator[list[T]]:
        """The records of a file in chunks; a torn last line (a crash mid-append) is skipped.

        A line that no longer makes a record (a field removed since it was written) is logged and
        skipped, so one bad line cannot block the replay of the rest."""
        batch: list[T] = []
        decode = self.codec.decoder()
        unreadable = 0
        with path.open("rb") as src:
            for number, line in enumerate(src):
                if not line.endswith(b"\n"):
                    break
                if number == 0 and line.startswith(b'{"fields"'):
                    decode = self.codec.decoder(_loads(line)["fields"])
                    continue
                try:
                    batch.append(decode(line))
                except (TypeError, ValueError):
                    unreadable += 1
                    continue
                if len(batch) >= chunk:
                    yield batch
                    batch = []
        if batch:
            yield batch
        if unreadable:
            log.error("%s: %d lines could not be read back as %s records; skipped", path, unreadable, self.writer)
