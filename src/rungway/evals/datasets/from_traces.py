"""Regression cases from production: a stored llm span's input messages as a case, its output as the reference.

The spans are the traces capability's records, read here by SQL through a light table description (as the
assessment reads them), never through its modules, so evals works whether or not traces is installed. A span's
content is JSON `{"attributes": ...}` (the gateway's spans, and OTLP spans it rewrote) or the OTLP protobuf span
as received; either way the input is `gen_ai.input.messages` (a list, or its JSON text; OpenAI-style `content`
or the GenAI conventions' text `parts`) and the output `gen_ai.output.messages`. A span without input messages
(its workload captured no content, or its instrumentation wrote them elsewhere) is skipped and counted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import orjson
from google.protobuf.message import DecodeError
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.trace.v1 import trace_pb2
from sqlalchemy import ColumnElement, Engine, and_, column, inspect, select, table

from rungway.errors import InvalidRequest
from rungway.evals.datasets.model import Case, build_case

__all__ = ["FILTER_FIELDS", "SpanFilter", "TracedCases", "cases_from_traces", "parse_filters"]

FILTER_FIELDS = ("model", "user", "session", "status", "name", "tag")
MAX_SPANS = 10_000
_TRACE_ID = re.compile(r"[0-9a-f]{32}")

_spans = table(
    "spans",
    column("trace_id"),
    column("span_id"),
    column("name"),
    column("kind"),
    column("start_time"),
    column("status"),
    column("workload"),
    column("user_id"),
    column("session_id"),
    column("tags"),
    column("model"),
    column("content"),
)


@dataclass(frozen=True, slots=True)
class SpanFilter:
    """Which llm spans of a workload to copy: by trace id, or by the filters, in a time window."""

    workload: str
    trace_ids: tuple[str, ...] = ()
    filters: Mapping[str, str] = field(default_factory=dict)
    since: float = 0.0
    limit: int = 100


@dataclass(frozen=True, slots=True)
class TracedCases:
    """The cases built from spans, and how many matching spans had no content to copy."""

    cases: tuple[Case, ...]
    skipped: int


def parse_filters(raw: Sequence[str]) -> dict[str, str]:
    """`--filter model=gpt-4o --filter tag=env:prod` as {field: value}; errors name the filter and the fix."""
    out: dict[str, str] = {}
    for item in raw:
        name, sep, value = item.partition("=")
        if not sep or name not in FILTER_FIELDS or not value:
            raise InvalidRequest(f"--filter {item!r}: write FIELD=VALUE with FIELD one of {', '.join(FILTER_FIELDS)}"
                                 " (tag=KEY:VALUE)", param="filter")  # fmt: skip
        if name == "status" and value not in ("ok", "error", "unset"):
            raise InvalidRequest(f"--filter {item!r}: status is ok, error or unset", param="filter")
        out[name] = value
    return out


def _conditions(wanted: SpanFilter) -> list[ColumnElement[bool]]:
    s = _spans.c
    found: list[ColumnElement[bool]] = [s.workload == wanted.workload, s.kind == "llm"]
    if wanted.trace_ids:
        for trace_id in wanted.trace_ids:
            if _TRACE_ID.fullmatch(trace_id) is None:
                raise InvalidRequest(f"--trace-id {trace_id[:40]!r}: a trace id is 32 lowercase hex digits",
                                     param="trace_id")  # fmt: skip
        found.append(s.trace_id.in_(wanted.trace_ids))
        return found
    found.append(s.start_time >= wanted.since)
    columns = {"model": s.model, "user": s.user_id, "session": s.session_id, "status": s.status, "name": s.name}
    for name, value in wanted.filters.items():
        if name in columns:
            found.append(columns[name] == value)
    return found


def _tagged(raw_tags: object, wanted: Mapping[str, str]) -> bool:
    if "tag" not in wanted:
        return True
    key, _, value = wanted["tag"].partition(":")
    tags = orjson.loads(raw_tags) if isinstance(raw_tags, str | bytes) and raw_tags else {}
    return isinstance(tags, dict) and key in tags and (not value or str(tags[key]) == value)


def _any(value: common_pb2.AnyValue) -> object:
    which = value.WhichOneof("value")
    if which == "array_value":
        return [_any(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: _any(kv.value) for kv in value.kvlist_value.values}
    if which == "bytes_value":
        return value.bytes_value.hex()
    return None if which is None else getattr(value, which)


def _attributes(content: object) -> dict[str, object]:
    """A stored span's attributes, from its JSON content or the OTLP protobuf span it was stored as."""
    blob = bytes(content) if isinstance(content, bytes | bytearray | memoryview) else str(content or "").encode()
    if blob.startswith(b"{"):
        found = orjson.loads(blob).get("attributes")
        return found if isinstance(found, dict) else {}
    return {kv.key: _any(kv.value) for kv in trace_pb2.Span.FromString(blob).attributes}


def _messages(raw: object) -> list[dict[str, object]]:
    """Chat messages as the gateway takes them: `content` kept, the GenAI conventions' text `parts` joined."""
    if isinstance(raw, str):
        raw = orjson.loads(raw)
    out: list[dict[str, object]] = []
    for message in raw if isinstance(raw, list) else ():
        if not isinstance(message, dict):
            continue
        kept = {k: v for k, v in message.items() if k not in ("finish_reason", "parts")}
        parts = message.get("parts")
        if kept.get("content") is None and isinstance(parts, list):
            texts = [str(p.get("content", "")) for p in parts if isinstance(p, dict) and p.get("type") == "text"]
            kept["content"] = "".join(texts)
        out.append(kept)
    return out


def _case_from(trace_id: str, span_id: str, content: object, with_output: bool) -> Case | None:
    attributes = _attributes(content)
    messages = _messages(attributes.get("gen_ai.input.messages"))
    if not messages:
        return None
    raw: dict[str, object] = {"key": f"t-{trace_id}-{span_id}", "source_trace_id": trace_id, "messages": messages,
                              "metadata": {"source": "trace", "span_id": span_id}}  # fmt: skip
    output = _messages(attributes.get("gen_ai.output.messages")) if with_output else []
    reply = output[0].get("content") if output else None
    if isinstance(reply, str) and reply:
        raw["expected"] = reply
    return build_case(raw, f"trace {trace_id} span {span_id}")


def cases_from_traces(engine: Engine, wanted: SpanFilter, *, with_output: bool = True) -> TracedCases:
    """Cases from the workload's llm spans (newest first, at most `limit`); none when traces were never stored."""
    if not inspect(engine).has_table("spans"):
        return TracedCases((), 0)
    s = _spans.c
    query = (
        select(s.trace_id, s.span_id, s.tags, s.content)
        .where(and_(*_conditions(wanted)))
        .order_by(s.start_time.desc())
        .limit(MAX_SPANS)
    )
    cases: list[Case] = []
    skipped = 0
    with engine.connect() as conn:
        for row in conn.execute(query):
            if len(cases) >= wanted.limit:
                break
            if not _tagged(row.tags, wanted.filters):
                continue
            try:
                case = _case_from(row.trace_id, row.span_id, row.content, with_output)
            except (orjson.JSONDecodeError, DecodeError, InvalidRequest):
                case = None
            if case is None:
                skipped += 1
            else:
                cases.append(case)
    return TracedCases(tuple(cases), skipped)
