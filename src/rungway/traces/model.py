"""Spans and traces as the traces capability stores them: one row per span, one roll-up row per trace.

A span comes from the gateway (one per call) or from an application over OTLP; either way it is
mapped to the same columns, aligned with the OpenTelemetry GenAI conventions: a kind (llm call,
retrieval, tool, ...), the model and provider, tokens, cost, who and which session it belongs to.
Prompts, outputs and every other attribute stay together in one `content` column (bytes: the
OTLP span protobuf as received, or JSON `{"attributes": ..., "events": ...}` when Rungway built or
rewrote the span; JSON starts with `{`, which no serialised Span does), so the insert path stays
one flat tuple per span. A trace's cost, tokens and latency roll up from its spans, per workload:
each span belongs to the workload of the key that wrote it, and a trace that crosses workloads
(a `traceparent` joining another team's trace) has one roll-up per workload, so no reader's totals
include another workload's spans.

Caller-supplied text columns are cleaned by `clean_text` with the limits below (the same rule on
SQLite and PostgreSQL: no NUL characters, at most the column's length in characters).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import NamedTuple

from rungway.domain.span_kinds import SpanKind


class SpanStatus(enum.StrEnum):
    """The OpenTelemetry status code, as a word."""

    UNSET = "unset"
    OK = "ok"
    ERROR = "error"


class SpanSource(enum.StrEnum):
    """Who recorded a span: the gateway itself or an application through OTLP."""

    GATEWAY = "gateway"
    OTLP = "otlp"


# Column lengths, in characters: the store's column types and the cleaning rule share them.
WORKLOAD_CHARS = 64
USER_CHARS = 256
SESSION_CHARS = 256
SERVICE_CHARS = 256
MODEL_CHARS = 128
PROVIDER_CHARS = 64
NAME_CHARS = 1024
STATUS_MESSAGE_CHARS = 4096


def clean_text(value: str | None, limit: int) -> str | None:
    """A caller's value as a column can hold it: NUL characters removed, cut to `limit` characters."""
    if value is None:
        return None
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value if len(value) <= limit else value[:limit]


class SpanRow(NamedTuple):
    """One span, in column order, ready for `executemany` (a tuple, so no per-span conversion)."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str
    source: str
    start_time: float
    end_time: float
    latency_ms: float
    status: str
    status_message: str | None
    workload: str
    user_id: str | None
    session_id: str | None
    tags: str
    service: str | None
    model: str | None
    provider: str | None
    tokens_in: int
    tokens_out: int
    cost_nano: int
    content: bytes


SPAN_COLUMNS: tuple[str, ...] = SpanRow._fields


class TraceTotals:
    """A batch's contribution to one (trace, workload) row: what the row's upsert adds or widens."""

    __slots__ = (
        "cost_nano",
        "end_time",
        "error_count",
        "has_root",
        "model",
        "model_from_llm",
        "name",
        "session_id",
        "span_count",
        "start_time",
        "tags",
        "tokens_in",
        "tokens_out",
        "trace_id",
        "user_id",
        "workload",
    )

    def __init__(self, span: SpanRow) -> None:
        self.trace_id = span.trace_id
        self.workload = span.workload
        self.user_id = span.user_id
        self.session_id = span.session_id
        self.tags = span.tags
        self.has_root = 1 if span.parent_span_id is None else 0
        self.name = span.name
        self.model = span.model
        self.model_from_llm = 1 if span.model is not None and span.kind == SpanKind.LLM else 0
        self.start_time = span.start_time
        self.end_time = span.end_time
        self.span_count = 1
        self.error_count = 1 if span.status == SpanStatus.ERROR else 0
        self.tokens_in = span.tokens_in
        self.tokens_out = span.tokens_out
        self.cost_nano = span.cost_nano

    def as_row(self) -> tuple[object, ...]:
        """Values in the order of the trace upsert's columns (see `traces.store`)."""
        return (
            self.trace_id,
            self.workload,
            self.user_id,
            self.session_id,
            self.tags,
            self.name,
            self.has_root,
            self.model,
            self.model_from_llm,
            self.start_time,
            self.end_time,
            self.span_count,
            self.error_count,
            self.tokens_in,
            self.tokens_out,
            self.cost_nano,
        )

    def add(self, span: SpanRow) -> None:
        if span.parent_span_id is None and not self.has_root:
            self.has_root, self.name = 1, span.name
        self.user_id = self.user_id or span.user_id
        self.session_id = self.session_id or span.session_id
        if not self.model_from_llm and span.model is not None and span.kind == SpanKind.LLM:
            # The trace's model is its LLM call's, not an embedding's or a reranker's that came first.
            self.model, self.model_from_llm = span.model, 1
        self.model = self.model or span.model
        if self.tags == "{}":
            self.tags = span.tags
        self.start_time = min(self.start_time, span.start_time)
        self.end_time = max(self.end_time, span.end_time)
        self.span_count += 1
        if span.status == SpanStatus.ERROR:
            self.error_count += 1
        self.tokens_in += span.tokens_in
        self.tokens_out += span.tokens_out
        self.cost_nano += span.cost_nano


def roll_up(spans: Sequence[SpanRow]) -> list[TraceTotals]:
    """Group a batch of spans by (trace, workload): what each trace row gains from this batch."""
    totals: dict[tuple[str, str], TraceTotals] = {}
    for span in spans:
        found = totals.get((span.trace_id, span.workload))
        if found is None:
            totals[(span.trace_id, span.workload)] = TraceTotals(span)
        else:
            found.add(span)
    return list(totals.values())
