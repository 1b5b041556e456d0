"""Spans and traces in the store: the batch insert behind ingest, the queries behind list/show, purge.

Insert path (the trace writer's sink): spans go in as pre-built tuples with one `executemany` on
SQLite and one `COPY` on PostgreSQL; each trace touched by the batch gets one upsert that adds the
batch's spans, tokens and cost and widens its time range. `spans` has one index (trace id) and
`traces` two (time; workload + time), so the write stays cheap and listing stays indexed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    cast,
    func,
    select,
)

from rungway.domain.spans import SPAN_COLUMNS, SpanRow, roll_up
from rungway.store.schema import metadata
from rungway.store.workloads import list_workloads

log = logging.getLogger("rungway.store.traces")

spans = Table(
    "spans",
    metadata,
    Column("trace_id", String(32), nullable=False),
    Column("span_id", String(16), nullable=False),
    Column("parent_span_id", String(16)),
    Column("name", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("source", String(16), nullable=False),
    Column("start_time", Float, nullable=False),
    Column("end_time", Float, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("status", String(8), nullable=False),
    Column("status_message", Text),
    Column("workload", String(64)),
    Column("user_id", String(256)),
    Column("session_id", String(256)),
    Column("tags", Text, nullable=False),
    Column("service", String(256)),
    Column("model", String(128)),
    Column("provider", String(64)),
    Column("tokens_in", BigInteger, nullable=False),
    Column("tokens_out", BigInteger, nullable=False),
    Column("cost_nano", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Index("ix_spans_trace", "trace_id"),
)

traces = Table(
    "traces",
    metadata,
    Column("trace_id", String(32), primary_key=True),
    Column("workload", String(64)),
    Column("user_id", String(256)),
    Column("session_id", String(256)),
    Column("tags", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("has_root", Integer, nullable=False),
    Column("model", String(128)),
    Column("start_time", Float, nullable=False),
    Column("end_time", Float, nullable=False),
    Column("span_count", BigInteger, nullable=False),
    Column("error_count", BigInteger, nullable=False),
    Column("tokens_in", BigInteger, nullable=False),
    Column("tokens_out", BigInteger, nullable=False),
    Column("cost_nano", BigInteger, nullable=False),
    Index("ix_traces_start", "start_time"),
    Index("ix_traces_workload_start", "workload", "start_time"),
)

_TRACE_COLUMNS = (
    "trace_id",
    "workload",
    "user_id",
    "session_id",
    "tags",
    "name",
    "has_root",
    "model",
    "start_time",
    "end_time",
    "span_count",
    "error_count",
    "tokens_in",
    "tokens_out",
    "cost_nano",
)


def _upsert_sql(dialect: str) -> str:
    """Add a batch's totals to a trace row (or create it); LEAST/GREATEST are MIN/MAX on SQLite."""
    least, greatest = ("MIN", "MAX") if dialect == "sqlite" else ("LEAST", "GREATEST")
    mark = "?" if dialect == "sqlite" else "%s"
    cols = ", ".join(_TRACE_COLUMNS)
    marks = ", ".join([mark] * len(_TRACE_COLUMNS))
    return (
        f"INSERT INTO traces ({cols}) VALUES ({marks}) ON CONFLICT (trace_id) DO UPDATE SET "
        "workload = COALESCE(traces.workload, excluded.workload), "
        "user_id = COALESCE(traces.user_id, excluded.user_id), "
        "session_id = COALESCE(traces.session_id, excluded.session_id), "
        "tags = CASE WHEN traces.tags = '{}' THEN excluded.tags ELSE traces.tags END, "
        "name = CASE WHEN excluded.has_root > traces.has_root THEN excluded.name ELSE traces.name END, "
        f"has_root = {greatest}(traces.has_root, excluded.has_root), "
        "model = COALESCE(traces.model, excluded.model), "
        f"start_time = {least}(traces.start_time, excluded.start_time), "
        f"end_time = {greatest}(traces.end_time, excluded.end_time), "
        "span_count = traces.span_count + excluded.span_count, "
        "error_count = traces.error_count + excluded.error_count, "
        "tokens_in = traces.tokens_in + excluded.tokens_in, "
        "tokens_out = traces.tokens_out + excluded.tokens_out, "
        "cost_nano = traces.cost_nano + excluded.cost_nano"
    )


_SQLITE_SPANS = f"INSERT INTO spans ({', '.join(SPAN_COLUMNS)}) VALUES ({', '.join('?' * len(SPAN_COLUMNS))})"
_PG_COPY = f"COPY spans ({', '.join(SPAN_COLUMNS)}) FROM STDIN"
_UPSERT = {"sqlite": _upsert_sql("sqlite"), "postgresql": _upsert_sql("postgresql")}


def insert_spans(engine: Engine, batch: Sequence[SpanRow]) -> None:
    """One transaction: the spans, then one upsert per trace the batch touches."""
    if not batch:
        return
    totals = [t.as_row() for t in roll_up(batch)]
    dialect = engine.dialect.name
    with engine.begin() as conn:
        raw: Any = conn.connection.dbapi_connection
        cursor = raw.cursor()
        try:
            if dialect == "postgresql":
                with cursor.copy(_PG_COPY) as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                cursor.executemany(_SQLITE_SPANS, batch)
            cursor.executemany(_UPSERT[dialect], totals)
        finally:
            cursor.close()


@dataclass(frozen=True, slots=True)
class TraceFilter:
    """What `rungway traces list` and `GET /api/traces` filter on."""

    workload: str | None = None
    user: str | None = None
    session: str | None = None
    status: str | None = None
    model: str | None = None
    min_cost_nano: int | None = None
    min_latency_ms: float | None = None
    since: float | None = None
    until: float | None = None
    text: str | None = None
    limit: int = 50


def _trace_dict(row: Any) -> dict[str, Any]:
    out = {str(k): v for k, v in row._mapping.items()}
    out["tags"] = orjson.loads(out["tags"] or "{}")
    out["latency_ms"] = round((out["end_time"] - out["start_time"]) * 1000.0, 3)
    out["status"] = "error" if out["error_count"] else "ok"
    out.pop("has_root", None)
    return out


def list_traces(engine: Engine, f: TraceFilter) -> list[dict[str, Any]]:
    """Newest first."""
    t = traces.c
    q = select(traces)
    if f.workload:
        q = q.where(t.workload == f.workload)
    if f.user:
        q = q.where(t.user_id == f.user)
    if f.session:
        q = q.where(t.session_id == f.session)
    if f.status == "error":
        q = q.where(t.error_count > 0)
    elif f.status == "ok":
        q = q.where(t.error_count == 0)
    if f.min_cost_nano is not None:
        q = q.where(t.cost_nano >= f.min_cost_nano)
    if f.min_latency_ms is not None:
        q = q.where((t.end_time - t.start_time) >= f.min_latency_ms / 1000.0)
    if f.since is not None:
        q = q.where(t.start_time >= f.since)
    if f.until is not None:
        q = q.where(t.start_time < f.until)
    if f.model:
        q = q.where((t.model == f.model) | t.trace_id.in_(select(spans.c.trace_id).where(spans.c.model == f.model)))
    if f.text:
        pattern = "%" + f.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        searched = (
            func.encode(spans.c.content, "escape")
            if engine.dialect.name == "postgresql"
            else cast(spans.c.content, Text)
        )
        q = q.where(t.trace_id.in_(select(spans.c.trace_id).where(searched.ilike(pattern, escape="\\"))))
    q = q.order_by(t.start_time.desc()).limit(max(1, min(f.limit, 1000)))
    with engine.connect() as conn:
        return [_trace_dict(r) for r in conn.execute(q)]


def get_trace(engine: Engine, trace_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The trace row and its spans in start order (content as stored bytes); None when unknown."""
    with engine.connect() as conn:
        row = conn.execute(select(traces).where(traces.c.trace_id == trace_id)).first()
        if row is None:
            return None
        q = select(spans).where(spans.c.trace_id == trace_id).order_by(spans.c.start_time)
        span_rows = [{str(k): v for k, v in r._mapping.items()} for r in conn.execute(q)]
    for span in span_rows:
        span["tags"] = orjson.loads(span["tags"] or "{}")
        span["content"] = bytes(span["content"])
    return _trace_dict(row), span_rows


def trace_stats(engine: Engine, workload: str | None = None) -> dict[str, int]:
    """Traces and spans stored (for one workload): what a poller checks to see ingest land."""
    q = select(func.count(), func.coalesce(func.sum(traces.c.span_count), 0))
    if workload:
        q = q.where(traces.c.workload == workload)
    with engine.connect() as conn:
        count, span_count = conn.execute(q).one()
    return {"traces": int(count), "spans": int(span_count)}


def purge_traces(engine: Engine, workload: str | None, before: float) -> tuple[int, int]:
    """Delete traces of `workload` (None: every workload) that started before `before`; (traces, spans)."""
    where = [traces.c.start_time < before]
    if workload is not None:
        where.append(traces.c.workload == workload)
    with engine.begin() as conn:
        doomed = select(traces.c.trace_id).where(*where)
        span_count = conn.execute(spans.delete().where(spans.c.trace_id.in_(doomed))).rowcount
        trace_count = conn.execute(traces.delete().where(*where)).rowcount
    return int(trace_count), int(span_count)


@dataclass(frozen=True, slots=True)
class PurgeResult:
    """What one workload's retention purge removed."""

    workload: str | None
    retention_days: int
    traces: int
    spans: int


def purge_expired(engine: Engine, default_days: int | None, now: float | None = None) -> list[PurgeResult]:
    """Apply each workload's retention_days (else `default_days`); every purge is counted and logged."""
    moment = time.time() if now is None else now
    results = []
    for workload in list_workloads(engine):
        days = workload.retention_days or default_days
        if not days:
            continue
        removed_traces, removed_spans = purge_traces(engine, workload.name, moment - days * 86400.0)
        results.append(PurgeResult(workload.name, days, removed_traces, removed_spans))
        if removed_traces or removed_spans:
            log.info(
                "retention purge: workload %s (%d days): %d traces, %d spans deleted",
                workload.name,
                days,
                removed_traces,
                removed_spans,
            )
    return results


__all__ = [
    "PurgeResult",
    "TraceFilter",
    "get_trace",
    "insert_spans",
    "list_traces",
    "purge_expired",
    "purge_traces",
    "spans",
    "trace_stats",
    "traces",
]
