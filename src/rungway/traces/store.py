"""Spans and traces in the store: the batch insert behind ingest, the queries behind list/show, purge.

Insert path (the trace writer's sink): one indexed lookup finds which of the batch's spans are
already stored (same trace id, span id and workload: an exporter re-sending after a lost answer);
the others go in with one `executemany` on SQLite and one `COPY` on PostgreSQL, so a re-sent span is
stored once and adds nothing to its trace; a unique index backs this against a concurrent writer.
Each (trace, workload) pair the batch added spans to gets one upsert that adds those spans' tokens
and cost and widens its time range. The span key includes the workload so that another
workload can neither overwrite a span nor suppress one by sending its id first.

Reads are per workload: a reader sees its own roll-up row and its own spans; another workload's
spans in the same trace come back as placeholders (ids, parent, times; no content, no cost).
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Engine,
    Float,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    and_,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    tuple_,
)

from rungway.domain.timespec import DAY
from rungway.store.schema import metadata
from rungway.store.workloads import list_workloads
from rungway.traces import model as span_rules
from rungway.traces.model import SPAN_COLUMNS, SpanRow, SpanSource, roll_up
from rungway.traces.search import search_needles, search_patterns

log = logging.getLogger("rungway.traces.store")

HIDDEN_SPAN_NAME = "hidden: another workload"

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
    Column("workload", String(span_rules.WORKLOAD_CHARS), nullable=False, server_default=""),
    Column("user_id", String(span_rules.USER_CHARS)),
    Column("session_id", String(span_rules.SESSION_CHARS)),
    Column("tags", Text, nullable=False),
    Column("service", String(span_rules.SERVICE_CHARS)),
    Column("model", String(span_rules.MODEL_CHARS)),
    Column("provider", String(span_rules.PROVIDER_CHARS)),
    Column("tokens_in", BigInteger, nullable=False),
    Column("tokens_out", BigInteger, nullable=False),
    Column("cost_nano", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Index("ux_spans_trace_span_workload", "trace_id", "span_id", "workload", unique=True),
)

traces = Table(
    "traces",
    metadata,
    Column("trace_id", String(32), nullable=False),
    Column("workload", String(span_rules.WORKLOAD_CHARS), nullable=False),
    Column("user_id", String(span_rules.USER_CHARS)),
    Column("session_id", String(span_rules.SESSION_CHARS)),
    Column("tags", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("has_root", Integer, nullable=False),
    Column("model", String(span_rules.MODEL_CHARS)),
    Column("model_from_llm", Integer, nullable=False, server_default="0"),
    Column("start_time", Float, nullable=False),
    Column("end_time", Float, nullable=False),
    Column("span_count", BigInteger, nullable=False),
    Column("error_count", BigInteger, nullable=False),
    Column("tokens_in", BigInteger, nullable=False),
    Column("tokens_out", BigInteger, nullable=False),
    Column("cost_nano", BigInteger, nullable=False),
    PrimaryKeyConstraint("trace_id", "workload", name="pk_traces"),
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
    "model_from_llm",
    "start_time",
    "end_time",
    "span_count",
    "error_count",
    "tokens_in",
    "tokens_out",
    "cost_nano",
)


def _upsert_sql(dialect: str) -> str:
    """Add a batch's totals to a (trace, workload) row or create it; LEAST/GREATEST are MIN/MAX on SQLite."""
    least, greatest = ("MIN", "MAX") if dialect == "sqlite" else ("LEAST", "GREATEST")
    mark = "?" if dialect == "sqlite" else "%s"
    cols = ", ".join(_TRACE_COLUMNS)
    marks = ", ".join([mark] * len(_TRACE_COLUMNS))
    return (
        f"INSERT INTO traces ({cols}) VALUES ({marks}) ON CONFLICT (trace_id, workload) DO UPDATE SET "
        "user_id = COALESCE(traces.user_id, excluded.user_id), "
        "session_id = COALESCE(traces.session_id, excluded.session_id), "
        "tags = CASE WHEN traces.tags = '{}' THEN excluded.tags ELSE traces.tags END, "
        "name = CASE WHEN excluded.has_root > traces.has_root THEN excluded.name ELSE traces.name END, "
        f"has_root = {greatest}(traces.has_root, excluded.has_root), "
        "model = CASE WHEN excluded.model_from_llm > traces.model_from_llm THEN excluded.model "
        "ELSE COALESCE(traces.model, excluded.model) END, "
        f"model_from_llm = {greatest}(traces.model_from_llm, excluded.model_from_llm), "
        f"start_time = {least}(traces.start_time, excluded.start_time), "
        f"end_time = {greatest}(traces.end_time, excluded.end_time), "
        "span_count = traces.span_count + excluded.span_count, "
        "error_count = traces.error_count + excluded.error_count, "
        "tokens_in = traces.tokens_in + excluded.tokens_in, "
        "tokens_out = traces.tokens_out + excluded.tokens_out, "
        "cost_nano = traces.cost_nano + excluded.cost_nano"
    )


_COLS = ", ".join(SPAN_COLUMNS)
_SQLITE_SPANS = f"INSERT INTO spans ({_COLS}) VALUES ({', '.join('?' * len(SPAN_COLUMNS))})"
_PG_COPY = f"COPY spans ({_COLS}) FROM STDIN"
_UPSERT = {"sqlite": _upsert_sql("sqlite"), "postgresql": _upsert_sql("postgresql")}
_GATEWAY = SpanSource.GATEWAY.value
_TRACE_ID = re.compile(r"[0-9a-f]{32}")
_SQLITE_IN_CHUNK = 900  # trace ids per lookup, well inside SQLite's bound-parameter limit


def _stored_keys(cursor: Any, dialect: str, trace_ids: list[str]) -> set[tuple[str, str, str]]:
    """(trace id, span id, workload) of the spans already stored in these traces."""
    found: set[tuple[str, str, str]] = set()
    if dialect == "postgresql":
        cursor.execute("SELECT trace_id, span_id, workload FROM spans WHERE trace_id = ANY(%s)", (trace_ids,))
        found.update((r[0], r[1], r[2]) for r in cursor.fetchall())
        return found
    for at in range(0, len(trace_ids), _SQLITE_IN_CHUNK):
        chunk = trace_ids[at : at + _SQLITE_IN_CHUNK]
        marks = ", ".join("?" * len(chunk))
        cursor.execute(f"SELECT trace_id, span_id, workload FROM spans WHERE trace_id IN ({marks})", chunk)
        found.update((r[0], r[1], r[2]) for r in cursor.fetchall())
    return found


def _new_spans(batch: Sequence[SpanRow], stored: set[tuple[str, str, str]]) -> list[SpanRow]:
    """The spans of `batch` not stored yet, each once (a batch can repeat a re-sent span)."""
    fresh = []
    seen = set(stored)
    for span in batch:
        key = (span.trace_id, span.span_id, span.workload)
        if key not in seen:
            seen.add(key)
            fresh.append(span)
    return fresh


def insert_spans(engine: Engine, batch: Sequence[SpanRow]) -> int:
    """One transaction: the new spans, then one upsert per (trace, workload) they add to; how many were new.

    Spans an application sent may be sent again (OTLP exporters retry): those already stored are
    looked up by trace id (one indexed query) and skipped. The gateway's own spans carry span ids
    it drew itself and are queued once, so they skip the lookup; should one reach the store twice
    anyway (the writer's retry of a batch whose commit did land, a replay after a crash), the unique
    index refuses it and the writer counts it as stored. Should another writer (a second replica)
    store a re-sent span in between, the same index refuses the insert: never a double count.
    """
    if not batch:
        return 0
    dialect = engine.dialect.name
    with engine.begin() as conn:
        raw: Any = conn.connection.dbapi_connection
        cursor = raw.cursor()
        try:
            sent = list({span.trace_id for span in batch if span.source != _GATEWAY})
            stored = _stored_keys(cursor, dialect, sent) if sent else set()
            fresh = _new_spans(batch, stored)
            if len(fresh) < len(batch):
                log.info(
                    "spans: %d of %d were already stored (re-sent) and were skipped",
                    len(batch) - len(fresh),
                    len(batch),
                )
            if not fresh:
                return 0
            if dialect == "postgresql":
                with cursor.copy(_PG_COPY) as copy:
                    for row in fresh:
                        copy.write_row(row)
            else:
                cursor.executemany(_SQLITE_SPANS, fresh)
            cursor.executemany(_UPSERT[dialect], [t.as_row() for t in roll_up(fresh)])
        finally:
            cursor.close()
    return len(fresh)


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
    after: TraceCursor | None = None


@dataclass(frozen=True, slots=True)
class TraceCursor:
    """Where a page of the newest-first trace list ended: the next page holds the traces listed after it."""

    start_time: float
    trace_id: str
    workload: str

    def encode(self) -> str:
        return f"{self.start_time!r}~{self.trace_id}~{self.workload}"

    @classmethod
    def decode(cls, text: str) -> TraceCursor:
        """ValueError for anything `encode` did not write."""
        start, trace_id, workload = text.split("~", 2)
        value = float(start)
        if not math.isfinite(value) or not _TRACE_ID.fullmatch(trace_id) or len(workload) > span_rules.WORKLOAD_CHARS:
            raise ValueError(f"not a trace list cursor: {text[:80]!r}")
        return cls(value, trace_id, workload)


def _trace_dict(row: Any) -> dict[str, Any]:
    out = {str(k): v for k, v in row._mapping.items()}
    out["tags"] = orjson.loads(out["tags"] or "{}")
    out["latency_ms"] = round((out["end_time"] - out["start_time"]) * 1000.0, 3)
    out["status"] = "error" if out["error_count"] else "ok"
    out.pop("has_root", None)
    out.pop("model_from_llm", None)
    return out


def _own_spans(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """A span of the listed (trace, workload) row matches `condition`: searches never see other workloads."""
    return exists(
        select(spans.c.trace_id).where(
            spans.c.trace_id == traces.c.trace_id, spans.c.workload == traces.c.workload, condition
        )
    )


def _text_condition(engine: Engine, text: str) -> ColumnElement[bool]:
    if engine.dialect.name == "postgresql":
        # encode(..., 'escape') is the one bytea -> text conversion that accepts any bytes (protobuf
        # content is not UTF-8); `search_patterns` spells the query the same way.
        searched = func.encode(spans.c.content, "escape")
        return or_(*(searched.ilike(p, escape="\\") for p in search_patterns(text, pg_escape=True)))
    as_text = cast(spans.c.content, Text)
    return or_(
        *(as_text.ilike(p, escape="\\") for p in search_patterns(text, pg_escape=False)),
        *(func.instr(spans.c.content, literal(n, LargeBinary)) > 0 for n in search_needles(text)),
    )


def list_traces(engine: Engine, f: TraceFilter) -> list[dict[str, Any]]:
    """Newest first; one row per (trace, workload), each with that workload's own totals."""
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
        q = q.where(or_(t.model == f.model, _own_spans(spans.c.model == f.model)))
    if f.text:
        searched = _text_condition(engine, f.text)
        if f.since is not None:
            # A trace starts with its first span, so its spans started since then too: the content of older
            # spans is never read (PostgreSQL scans the spans in a semi-join).
            searched = and_(spans.c.start_time >= f.since, searched)
        q = q.where(_own_spans(searched))
    if f.after is not None:
        a = f.after
        q = q.where(
            or_(
                t.start_time < a.start_time,
                and_(t.start_time == a.start_time, tuple_(t.trace_id, t.workload) < (a.trace_id, a.workload)),
            )
        )
    q = q.order_by(t.start_time.desc(), t.trace_id.desc(), t.workload.desc()).limit(max(1, min(f.limit, 1001)))
    with engine.connect() as conn:
        return [_trace_dict(r) for r in conn.execute(q)]


def _merged(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Every workload's roll-up of one trace as one (what an admin sees)."""
    rows.sort(key=lambda r: (-r["has_root"], r["start_time"]))
    out = dict(rows[0])
    for other in rows[1:]:
        for column in ("span_count", "error_count", "tokens_in", "tokens_out", "cost_nano"):
            out[column] += other[column]
        out["start_time"] = min(out["start_time"], other["start_time"])
        out["end_time"] = max(out["end_time"], other["end_time"])
        for column in ("user_id", "session_id", "model"):
            out[column] = out[column] or other[column]
        if other["model_from_llm"] and not out["model_from_llm"]:
            out["model"], out["model_from_llm"] = other["model"], 1
    return out


def get_trace(
    engine: Engine, trace_id: str, reader: str | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The trace and its spans in start order, as `reader`'s workload may see them (None: everything).

    A reader gets its own roll-up (totals over its own spans) and its own spans with content; spans
    of other workloads come back as placeholders: ids, parent, times and `hidden`, nothing else.
    None when the reader has no span in the trace (or the trace is unknown).
    """
    t, c = traces.c, spans.c
    with engine.connect() as conn:
        q = select(traces).where(t.trace_id == trace_id)
        if reader is not None:
            q = q.where(t.workload == reader)
        rows = [{str(k): v for k, v in r._mapping.items()} for r in conn.execute(q)]
        if not rows:
            return None
        own = select(spans).where(c.trace_id == trace_id)
        if reader is not None:
            own = own.where(c.workload == reader)
        span_rows = [{str(k): v for k, v in r._mapping.items()} for r in conn.execute(own)]
        if reader is not None:
            hidden = select(c.span_id, c.parent_span_id, c.start_time, c.end_time, c.latency_ms).where(
                and_(c.trace_id == trace_id, c.workload != reader)
            )
            span_rows += [
                {**{str(k): v for k, v in r._mapping.items()}, "name": HIDDEN_SPAN_NAME, "hidden": True}
                for r in conn.execute(hidden)
            ]
    for span in span_rows:
        if not span.get("hidden"):
            span["tags"] = orjson.loads(span["tags"] or "{}")
            span["content"] = bytes(span["content"])
    span_rows.sort(key=lambda s: s["start_time"])
    trace = _merged(rows)
    trace.pop("model_from_llm", None)
    trace["tags"] = orjson.loads(trace["tags"] or "{}")
    trace["latency_ms"] = round((trace["end_time"] - trace["start_time"]) * 1000.0, 3)
    trace["status"] = "error" if trace["error_count"] else "ok"
    trace.pop("has_root", None)
    return trace, span_rows


def trace_stats(engine: Engine, workload: str | None = None) -> dict[str, int]:
    """Traces and spans stored (for one workload): what a poller checks to see ingest land."""
    q = select(func.count(func.distinct(traces.c.trace_id)), func.coalesce(func.sum(traces.c.span_count), 0))
    if workload:
        q = q.where(traces.c.workload == workload)
    with engine.connect() as conn:
        count, span_count = conn.execute(q).one()
    return {"traces": int(count), "spans": int(span_count)}


def purge_traces(engine: Engine, workload: str | None, before: float) -> tuple[int, int]:
    """Delete `workload`'s part (None: every workload's) of traces that started before `before`; (traces, spans)."""
    where = [traces.c.start_time < before]
    if workload is not None:
        where.append(traces.c.workload == workload)
    doomed = exists(
        select(traces.c.trace_id).where(
            traces.c.trace_id == spans.c.trace_id, traces.c.workload == spans.c.workload, *where
        )
    )
    with engine.begin() as conn:
        span_count = conn.execute(spans.delete().where(doomed)).rowcount
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
        removed_traces, removed_spans = purge_traces(engine, workload.name, moment - days * DAY)
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
    "HIDDEN_SPAN_NAME",
    "PurgeResult",
    "TraceCursor",
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
