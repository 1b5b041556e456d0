"""The batch writer survives any row the store refuses: good rows written, bad ones quarantined, no stall.

One poison value per column type of the requests and spans tables, mixed into one stream of good
records, on SQLite and PostgreSQL. A value one store accepts and the other refuses (a NUL in text,
a string longer than its column) must end up in exactly one place: the table or the quarantine file.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest
from sqlalchemy import Engine, select

from rungway.capability import migration_packages
from rungway.domain.records import RequestRecord
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.record_files import RecordCodec
from rungway.store.requests import REQUEST_CODEC, insert_requests
from rungway.store.schema import requests
from rungway.store.write_errors import is_duplicate
from rungway.store.writer import BatchWriter
from rungway.traces.model import SpanRow
from rungway.traces.store import insert_spans, spans
from tests.gateway.test_raw_http import http
from tests.servers import Gateway

T = TypeVar("T")
TOO_BIG = 2**64  # beyond every integer column, 64-bit included
# (field, poison, refused on sqlite, refused on postgresql)
REQUEST_POISONS: list[tuple[str, Any, bool, bool]] = [
    ("user", "u" * 10_000, False, True),  # String(256)
    ("model_requested", "gpt\x00-4o", False, True),  # NUL in a VARCHAR
    ("error_message", "boom\x00", False, True),  # NUL in TEXT
    ("tags", {"k": "v\x00"}, False, False),  # JSON-escaped: harmless
    ("status", None, True, True),  # INTEGER NOT NULL
    ("tokens_in", TOO_BIG, True, True),  # INTEGER (64-bit after the widening migration)
    ("cost_nano", TOO_BIG, True, True),  # BIGINT
    ("latency_ms", None, True, True),  # FLOAT NOT NULL
    ("stream", None, True, True),  # BOOLEAN NOT NULL
    ("endpoint", None, True, True),  # VARCHAR NOT NULL
]
SPAN_POISONS: list[tuple[str, Any, bool, bool]] = [
    ("name", "span\x00name", False, True),  # NUL in TEXT (through COPY on PostgreSQL)
    ("workload", "w" * 500, False, True),  # String(64)
    ("kind", None, True, True),  # VARCHAR NOT NULL
    ("tokens_in", TOO_BIG, True, True),
    ("cost_nano", TOO_BIG, True, True),
    ("start_time", None, True, True),  # FLOAT NOT NULL
    ("content", None, True, True),  # BLOB NOT NULL
]


def request(i: int, **poison: Any) -> RequestRecord:
    now = time.time()
    good = RequestRecord(id=f"req_{i:06d}", ts_start=now, ts_end=now, workload="w", key_id="k", user="u", team=None)
    return dataclasses.replace(good, **poison)


def span(i: int, **poison: Any) -> SpanRow:
    now = time.time()
    good = SpanRow(
        trace_id=f"{i:032x}",
        span_id=f"{i:016x}",
        parent_span_id=None,
        name="chat",
        kind="llm",
        source="otlp",
        start_time=now,
        end_time=now,
        latency_ms=1.0,
        status="ok",
        status_message=None,
        workload="w",
        user_id=None,
        session_id=None,
        tags="{}",
        service=None,
        model=None,
        provider=None,
        tokens_in=1,
        tokens_out=1,
        cost_nano=1,
        content=b"{}",
    )
    return good._replace(**poison)


def run_stream(
    engine: Engine,
    spill: Path,
    sink: Callable[[Sequence[T]], None],
    codec: RecordCodec[T],
    good: Callable[[int], T],
    poisoned: list[T],
) -> BatchWriter[T]:
    writer: BatchWriter[T] = BatchWriter("rows", sink, batch_size=500, flush_interval_s=0.01, codec=codec)
    writer.use_disk(spill)
    writer.start()
    records = [good(i) for i in range(200)]
    for n, bad in enumerate(poisoned):
        records.insert(7 + n * 19, bad)
    assert writer.offer_many(records)
    assert writer.flush(60), "the writer stalled on a bad row"
    writer.close()
    return writer


def quarantined_ids(spill: Path, queue: str = "rows") -> list[str]:
    path = spill / f"{queue}.quarantine.jsonl"
    if not path.exists():
        return []
    return [orjson.loads(line)["id"] for line in path.read_bytes().splitlines()]


def expected_refused(store_url: str, poisons: list[tuple[str, Any, bool, bool]]) -> set[str]:
    on_postgres = store_url.startswith("postgres")
    return {field for field, _, sqlite, pg in poisons if (pg if on_postgres else sqlite)}


def test_request_writer_quarantines_each_refused_value_and_writes_every_good_row(
    store_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    poisoned = {f: request(10_000 + n, **{f: v}) for n, (f, v, _, _) in enumerate(REQUEST_POISONS)}
    writer = run_stream(
        engine,
        tmp_path / "spill",
        lambda b: insert_requests(engine, b),
        REQUEST_CODEC,
        request,
        list(poisoned.values()),
    )
    with engine.connect() as conn:
        stored = set(conn.execute(select(requests.c.id)).scalars())
    engine.dispose()
    refused = expected_refused(store_url, REQUEST_POISONS)
    assert {f"req_{i:06d}" for i in range(200)} <= stored
    assert sorted(quarantined_ids(tmp_path / "spill")) == sorted(poisoned[f].id for f in refused)
    assert {r.id for f, r in poisoned.items() if f not in refused} <= stored
    assert not {poisoned[f].id for f in refused} & stored
    assert writer.quarantined == len(refused) and writer.written == 200 + len(poisoned) - len(refused)
    for field in refused:  # logged once per row, with the call id
        assert sum(poisoned[field].id in r.getMessage() for r in caplog.records) == 1


def test_span_writer_quarantines_each_refused_value_and_writes_every_good_row(store_url: str, tmp_path: Path) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    codec: RecordCodec[SpanRow] = RecordCodec(SpanRow, ("trace_id", "span_id"))
    poisoned = {f: span(10_000 + n, **{f: v}) for n, (f, v, _, _) in enumerate(SPAN_POISONS)}
    writer = run_stream(
        engine, tmp_path / "spill", lambda b: insert_spans(engine, b), codec, span, list(poisoned.values())
    )
    with engine.connect() as conn:
        stored = set(conn.execute(select(spans.c.span_id)).scalars())
    engine.dispose()
    refused = expected_refused(store_url, SPAN_POISONS)
    assert {f"{i:016x}" for i in range(200)} <= stored
    assert sorted(quarantined_ids(tmp_path / "spill")) == sorted(codec.record_id(poisoned[f]) for f in refused)
    assert not {poisoned[f].span_id for f in refused} & stored
    assert writer.quarantined == len(refused)


def test_store_outage_is_retried_not_quarantined(sqlite_url: str, tmp_path: Path) -> None:
    engine = create_store_engine(sqlite_url)
    upgrade(engine, migration_packages())
    outages: list[int] = []

    def sink(batch: Sequence[RequestRecord]) -> None:
        if len(outages) < 3:
            outages.append(len(batch))
            raise ConnectionRefusedError("store is restarting")
        insert_requests(engine, batch)

    writer: BatchWriter[RequestRecord] = BatchWriter("rows", sink, flush_interval_s=0.01, codec=REQUEST_CODEC)
    writer.use_disk(tmp_path / "spill")
    writer.start()
    assert writer.offer_many([request(i) for i in range(30)])
    assert writer.flush(30)
    writer.close()
    engine.dispose()
    assert outages == [30, 30, 30]  # the whole batch retried, never split
    assert writer.quarantined == 0 and writer.written == 30 and writer.store_ok
    assert not (tmp_path / "spill" / "rows.quarantine.jsonl").exists()


def test_gateway_counts_a_quarantined_row_in_metrics_and_keeps_logging_calls(
    store_url: str, gateway_factory: Callable[..., Gateway]
) -> None:
    gateway = gateway_factory(store_url=store_url)
    poisoned = request(99, cost_nano=TOO_BIG)
    assert gateway.state.request_writer.offer(poisoned)
    reply = gateway.sdk().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    gateway.flush()
    with gateway.state.engine.connect() as conn:
        stored = set(conn.execute(select(requests.c.id)).scalars())
    assert poisoned.id not in stored and len(stored) == 1  # the call after the bad row is logged
    assert reply.id
    _, _, body = http(gateway.base_url + "/metrics")
    assert 'rungway_records_quarantined_total{queue="requests"} 1.0' in body.decode()
    spill = Path(gateway.config.recorder.spill_dir or "")
    assert quarantined_ids(spill, "requests") == [poisoned.id]


def test_a_missing_table_is_an_outage_not_a_bad_row(store_url: str, tmp_path: Path) -> None:
    """A store whose schema is broken must not have every row quarantined: it is retried until fixed."""
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    broken = threading.Event()
    broken.set()

    def sink(batch: Sequence[RequestRecord]) -> None:
        if broken.is_set():
            with engine.begin() as conn:
                conn.exec_driver_sql("INSERT INTO requests_gone (id) VALUES ('x')")
        insert_requests(engine, batch)

    writer: BatchWriter[RequestRecord] = BatchWriter("rows", sink, flush_interval_s=0.01, codec=REQUEST_CODEC)
    writer.use_disk(tmp_path / "spill")
    writer.start()
    assert writer.offer_many([request(i) for i in range(10)])
    deadline = time.monotonic() + 30
    while writer.failed_batches < 2:  # seen failing twice: retried, not split
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert writer.quarantined == 0 and not writer.store_ok
    broken.clear()
    assert writer.flush(30)
    writer.close()
    engine.dispose()
    assert writer.written == 10 and writer.quarantined == 0


def test_quarantine_file_stops_growing_at_its_cap_but_every_bad_row_is_counted(
    sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_store_engine(sqlite_url)
    upgrade(engine, migration_packages())
    writer: BatchWriter[RequestRecord] = BatchWriter(
        "rows", lambda b: insert_requests(engine, b), flush_interval_s=0.01, codec=REQUEST_CODEC
    )
    writer.use_disk(tmp_path / "spill", quarantine_max_bytes=1)  # full after the first row
    writer.start()
    assert writer.offer_many([request(i, status=None) for i in range(3)])  # type: ignore[arg-type]
    assert writer.flush(30)
    writer.close()
    engine.dispose()
    assert writer.quarantined == 3
    assert quarantined_ids(tmp_path / "spill") == ["req_000000"]
    full = "NOT kept: the quarantine file reached recorder.quarantine_max_bytes"
    assert sum(full in r.getMessage() for r in caplog.records) == 2


def test_a_retried_batch_whose_commit_landed_is_stored_once_and_counted_as_written(
    store_url: str, tmp_path: Path
) -> None:
    """The store committed but the writer saw an outage (a PostgreSQL connection lost on the commit's
    answer): the retry finds the gateway's spans already there. Not a bad row, not a double count."""
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    calls: list[int] = []

    def sink(batch: Sequence[SpanRow]) -> None:
        insert_spans(engine, batch)
        calls.append(len(batch))
        if len(calls) == 1:
            raise ConnectionResetError("the connection dropped before the commit was acknowledged")

    gateway_spans = [span(i, source="gateway", trace_id=f"{i % 3:032x}", cost_nano=10) for i in range(12)]
    writer: BatchWriter[SpanRow] = BatchWriter("spans", sink, flush_interval_s=0.01)
    writer.use_disk(tmp_path / "spill")
    writer.start()
    assert writer.offer_many(gateway_spans)
    assert writer.flush(30)
    writer.close()
    with engine.connect() as conn:
        stored = list(conn.execute(select(spans.c.span_id)).scalars())
        traces_cost = conn.exec_driver_sql("SELECT SUM(cost_nano), SUM(span_count) FROM traces").one()
    engine.dispose()
    assert sorted(stored) == sorted(s.span_id for s in gateway_spans)
    assert tuple(traces_cost) == (120, 12)  # the roll-up counted each span once
    assert writer.written == 12 and writer.quarantined == 0
    assert not (tmp_path / "spill" / "spans.quarantine.jsonl").exists()


def test_the_gateways_own_spans_skip_the_stored_id_lookup_and_the_unique_index_still_refuses_a_repeat(
    store_url: str,
) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    first = span(1, source="gateway")
    assert insert_spans(engine, [first]) == 1
    with pytest.raises(Exception) as refused:  # SQLite's and psycopg's own errors
        insert_spans(engine, [first])
    assert is_duplicate(refused.value)
    resent = span(1, source="otlp", span_id="f" * 16)
    assert insert_spans(engine, [resent]) == 1
    assert insert_spans(engine, [resent]) == 0  # an application's re-sent span is looked up and skipped
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT span_count FROM traces").scalar_one() == 2
    engine.dispose()
