"""Decode OTLP/HTTP trace exports (protobuf or JSON) into span rows.

Protobuf goes through opentelemetry-proto's generated classes (the upb C backend parses a
512-span request in about a millisecond); JSON follows the OTLP/JSON rules (hex ids, camelCase
keys, 64-bit integers as strings). Both end in `SpanBuilder.row`, which applies the attribute
mapping and pricing. Under `full` capture a protobuf span small enough that no cap can apply is
stored as received (its own serialisation, no per-attribute conversion of prompts and outputs);
otherwise, and for JSON, the attributes are filtered or redacted, capped and stored as JSON
(`traces.content`). Caller values that become columns (name, user, session, model, ...) are
cleaned by `traces.model.clean_text`: no NUL characters, within the column's length.
Spans with malformed ids are rejected one by one and reported as a partial success.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from rungway.domain.pricing import Price
from rungway.domain.usage import Usage
from rungway.domain.workloads import ContentCapture
from rungway.traces import mapping
from rungway.traces import model as columns
from rungway.traces.content import ContentLimits, protect
from rungway.traces.model import SpanRow, SpanSource, clean_text

_STATUS = ("unset", "ok", "error")
_MAX_COST_USD = 1e9  # far above any real span; keeps nano-USD sums far inside 64 bits
_HEX = frozenset("0123456789abcdef")


class MalformedExport(ValueError):
    """The body is not an OTLP trace export; the message says what is wrong."""


@dataclass(slots=True)
class Decoded:
    """Rows accepted from one export, and how many spans were rejected and why."""

    rows: list[SpanRow] = field(default_factory=list)
    rejected: int = 0
    reason: str = ""


class SpanBuilder:
    """Turns one span's fields into a row for a given workload (capture mode, prices)."""

    def __init__(
        self,
        workload: str,
        capture: ContentCapture,
        price_of: Callable[[str], Price | None],
        source: SpanSource = SpanSource.OTLP,
        limits: ContentLimits | None = None,
    ) -> None:
        self.workload = workload
        self.capture = capture
        self.limits = limits or ContentLimits()
        self._price_of = price_of
        self._prices: dict[str, Price | None] = {}
        self.source = source.value

    def cost_nano(self, model: str | None, tokens_in: int, tokens_out: int, a: dict[str, Any]) -> int:
        given = mapping.cost_usd_of(a)
        if given is not None:
            # A caller's own figure, bounded: no NaN, infinity or negative cost, and within 64 bits.
            return round(given * 1_000_000_000) if 0.0 <= given <= _MAX_COST_USD else 0
        if model is None or not (tokens_in or tokens_out):
            return 0
        price = self._prices.get(model, False)
        if price is False:
            price = self._prices[model] = self._price_of(model)
        if price is None:
            return 0
        assert isinstance(price, Price)
        return price.cost_nano(Usage(input=tokens_in, output=tokens_out))

    def protect(self, a: dict[str, Any], events: list[dict[str, Any]] | None, name: str = "") -> bytes:
        """The stored content as JSON: attributes (and events) after the capture rule and the caps."""
        return protect(a, events, self.capture, self.limits, name)

    def row(
        self,
        trace_id: str,
        span_id: str,
        parent: str | None,
        name: str,
        start_ns: int,
        end_ns: int,
        status_code: int,
        status_message: str,
        a: dict[str, Any],
        content: bytes,
        service: str | None,
    ) -> SpanRow:
        """`a` needs only the attributes in `mapping.COLUMN_KEYS` (and association properties)."""
        model = mapping.model_of(a)
        tokens_in, tokens_out = (_tokens(n) for n in mapping.tokens_of(a))
        tags = mapping.tags_of(a)
        start, end = start_ns / 1e9, end_ns / 1e9
        return SpanRow(
            trace_id,
            span_id,
            parent,
            clean_text(name, columns.NAME_CHARS) or "",
            mapping.span_kind(a),
            self.source,
            start,
            end,
            max(0.0, (end_ns - start_ns) / 1e6),
            _STATUS[status_code] if 0 <= status_code <= 2 else "unset",
            clean_text(status_message, columns.STATUS_MESSAGE_CHARS) or None,
            self.workload,
            clean_text(mapping.user_of(a), columns.USER_CHARS),
            clean_text(mapping.session_of(a), columns.SESSION_CHARS),
            orjson.dumps(tags).decode() if tags else "{}",
            clean_text(service, columns.SERVICE_CHARS),
            clean_text(model, columns.MODEL_CHARS),
            clean_text(mapping.provider_of(a), columns.PROVIDER_CHARS),
            tokens_in,
            tokens_out,
            self.cost_nano(model, tokens_in, tokens_out, a),
            content,
        )


def _tokens(value: int) -> int:
    """A token count as the 32-bit column holds it (absurd values from a caller are clamped)."""
    return min(max(0, value), 2_147_483_647)


# ---- protobuf ----------------------------------------------------------------------------------


def _any(v: Any) -> Any:
    which = v.WhichOneof("value")
    if which == "string_value":
        return v.string_value
    if which is None:
        return None
    if which == "array_value":
        return [_any(x) for x in v.array_value.values]
    if which == "kvlist_value":
        return {kv.key: _any(kv.value) for kv in v.kvlist_value.values}
    if which == "bytes_value":
        return v.bytes_value.hex()
    return getattr(v, which)


def decode_protobuf(body: bytes, builder: SpanBuilder) -> Decoded:
    try:
        request = ExportTraceServiceRequest.FromString(body)
    except DecodeError as exc:
        raise MalformedExport(f"not an OTLP ExportTraceServiceRequest protobuf ({exc})") from None
    out = Decoded()
    rows = out.rows
    full = builder.capture is ContentCapture.FULL
    as_received = builder.limits.as_received_bytes
    for resource_spans in request.resource_spans:
        service = None
        for kv in resource_spans.resource.attributes:
            if kv.key == "service.name":
                service = kv.value.string_value or None
        for scope_spans in resource_spans.scope_spans:
            for s in scope_spans.spans:
                trace_id, span_id = s.trace_id.hex(), s.span_id.hex()
                if len(trace_id) != 32 or len(span_id) != 16 or trace_id == "0" * 32:
                    out.rejected += 1
                    out.reason = "spans need a 16-byte trace_id and an 8-byte span_id"
                    continue
                content = s.SerializeToString() if full else b""
                if full and len(content) <= as_received and len(s.name) <= columns.NAME_CHARS:
                    # Fast path: read only the values the columns need; store the span as received.
                    attrs = _column_attrs(s.attributes)
                else:
                    attrs = {kv.key: _any(kv.value) for kv in s.attributes}
                    events = [
                        {"name": e.name, "time": e.time_unix_nano / 1e9, **_event_attrs(e.attributes)} for e in s.events
                    ]
                    content = builder.protect(attrs, events, s.name)
                rows.append(
                    builder.row(
                        trace_id,
                        span_id,
                        s.parent_span_id.hex() or None,
                        s.name,
                        s.start_time_unix_nano,
                        s.end_time_unix_nano,
                        s.status.code,
                        s.status.message,
                        attrs,
                        content,
                        service,
                    )
                )
    return out


def _column_attrs(attributes: Any) -> dict[str, Any]:
    wanted, prefix = mapping.COLUMN_KEYS, mapping.ASSOCIATION_PREFIX
    out = {}
    for kv in attributes:
        key = kv.key
        if key in wanted or (key[:1] == "t" and key.startswith(prefix)):
            out[key] = _any(kv.value)
    return out


def span_content(blob: bytes) -> dict[str, Any]:
    """Stored content back as {"attributes": ..., "events": [...]}, from JSON or a stored OTLP span."""
    if blob[:1] == b"{":
        content: dict[str, Any] = orjson.loads(blob)
        return content
    span = Span.FromString(blob)
    out: dict[str, Any] = {"attributes": {kv.key: _any(kv.value) for kv in span.attributes}}
    if span.events:
        out["events"] = [
            {"name": e.name, "time": e.time_unix_nano / 1e9, **_event_attrs(e.attributes)} for e in span.events
        ]
    return out


def _event_attrs(attributes: Any) -> dict[str, Any]:
    return {"attributes": {kv.key: _any(kv.value) for kv in attributes}} if attributes else {}


# ---- JSON --------------------------------------------------------------------------------------


def _get(d: dict[str, Any], camel: str, snake: str) -> Any:
    value = d.get(camel)
    return d.get(snake) if value is None else value


def _json_any(v: Any) -> Any:
    if not isinstance(v, dict):
        return v
    for key, value in v.items():
        if key in ("stringValue", "string_value", "boolValue", "bool_value"):
            return value
        if key in ("intValue", "int_value"):
            return int(value)
        if key in ("doubleValue", "double_value"):
            return float(value)
        if key in ("arrayValue", "array_value"):
            return [_json_any(x) for x in (value or {}).get("values") or ()]
        if key in ("kvlistValue", "kvlist_value"):
            return _json_attrs((value or {}).get("values"))
        if key in ("bytesValue", "bytes_value"):
            return base64.b64decode(value).hex()
    return None


def _json_attrs(items: Any) -> dict[str, Any]:
    if not items:
        return {}
    if not isinstance(items, list):
        raise MalformedExport("attributes must be a list of {key, value}")
    return {str(kv["key"]): _json_any(kv.get("value")) for kv in items}


def _json_id(value: Any, size: int) -> str | None:
    """OTLP/JSON ids are hex; tolerate base64 (protobuf's JSON mapping) from generic encoders."""
    if not isinstance(value, str) or not value:
        return None
    text = value.lower()
    if len(text) == size * 2 and set(text) <= _HEX:
        return text
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:
        return None
    return raw.hex() if len(raw) == size else None


def decode_json(body: bytes, builder: SpanBuilder) -> Decoded:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedExport(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise MalformedExport("the body must be a JSON object with `resourceSpans`")
    out = Decoded()
    try:
        for resource_spans in _get(data, "resourceSpans", "resource_spans") or ():
            resource = _json_attrs((resource_spans.get("resource") or {}).get("attributes"))
            service = resource.get("service.name")
            for scope_spans in _get(resource_spans, "scopeSpans", "scope_spans") or ():
                for s in scope_spans.get("spans") or ():
                    _json_span(s, builder, out, service if isinstance(service, str) else None)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise MalformedExport(f"not an OTLP/JSON trace export ({exc.__class__.__name__}: {exc})") from None
    return out


def _json_span(s: dict[str, Any], builder: SpanBuilder, out: Decoded, service: str | None) -> None:
    trace_id = _json_id(_get(s, "traceId", "trace_id"), 16)
    span_id = _json_id(_get(s, "spanId", "span_id"), 8)
    if trace_id is None or span_id is None or trace_id == "0" * 32:
        out.rejected += 1
        out.reason = "spans need a 32-hex-digit traceId and a 16-hex-digit spanId"
        return
    status = s.get("status") or {}
    events = [
        {
            "name": e.get("name", ""),
            "time": int(_get(e, "timeUnixNano", "time_unix_nano") or 0) / 1e9,
            **({"attributes": _json_attrs(e.get("attributes"))} if e.get("attributes") else {}),
        }
        for e in s.get("events") or ()
    ]
    attrs = _json_attrs(s.get("attributes"))
    name = str(s.get("name", ""))
    out.rows.append(
        builder.row(
            trace_id,
            span_id,
            _json_id(_get(s, "parentSpanId", "parent_span_id"), 8),
            name,
            int(_get(s, "startTimeUnixNano", "start_time_unix_nano") or 0),
            int(_get(s, "endTimeUnixNano", "end_time_unix_nano") or 0),
            _status_code(status.get("code")),
            str(status.get("message") or ""),
            attrs,
            builder.protect(attrs, events or None, name),
            service,
        )
    )


def _status_code(value: Any) -> int:
    if isinstance(value, int):
        return value
    names = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
    return names.get(str(value), 0)
