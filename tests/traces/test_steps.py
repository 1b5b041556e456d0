"""The span queue's records on disk: a gateway span whose content is still pending is spilled and replayed whole."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rungway.capability import migration_packages
from rungway.domain.workloads import ContentCapture
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.writer import BatchWriter
from rungway.traces.content import ContentLimits, PendingSpan, SpanRecord, ready_rows
from rungway.traces.model import SpanRow
from rungway.traces.steps import SpanRecordCodec
from rungway.traces.store import get_trace, insert_spans


def pending() -> PendingSpan:
    row = SpanRow(
        "ab" * 16, "cd" * 8, None, "chat gpt-4o-mini", "llm", "gateway", 1.0, 2.0, 1000.0, "ok", None, "w",
        None, None, "{}", "rungway-gateway", "gpt-4o-mini", "sim", 3, 4, 5, b"",
    )  # fmt: skip
    attributes = {"gen_ai.input.messages": [{"role": "user", "content": "key sk-proj-abcdefghijklmnopqrstuvwxyz01"}]}
    return PendingSpan(row, attributes, ContentCapture.REDACTED, ContentLimits())


def down(_batch: Sequence[SpanRecord]) -> None:
    raise ConnectionRefusedError("store unreachable")


def test_a_pending_gateway_span_is_spilled_with_its_content_and_replayed_into_the_store(
    store_url: str, tmp_path: Path
) -> None:
    spill = tmp_path / "spill"
    stopping: BatchWriter[SpanRecord] = BatchWriter("spans", down, flush_interval_s=0.01, codec=SpanRecordCodec())
    stopping.use_disk(spill)
    stopping.start()
    assert stopping.offer_many([pending()])
    stopping.close(timeout_s=0.2)
    assert stopping.spilled == 1
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    replaying: BatchWriter[SpanRecord] = BatchWriter(
        "spans", lambda batch: insert_spans(engine, ready_rows(batch)), codec=SpanRecordCodec()
    )
    replaying.use_disk(spill)
    replaying.start()
    replaying.close()
    assert replaying.replayed == 1
    found = get_trace(engine, "ab" * 16)
    assert found is not None
    content = found[1][0]["content"]
    assert b"[REDACTED:api_key]" in content and b"sk-proj" not in content
