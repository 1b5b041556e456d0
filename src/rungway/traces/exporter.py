"""Forward stored spans to an external OTLP/HTTP endpoint (Jaeger, Tempo, Datadog, a collector).

It runs as the sink of its own bounded `BatchWriter` ("trace-export"): batched by that writer,
bounded by its queue (a full queue drops and counts, ingest is never refused for it), retried
here with exponential backoff honouring Retry-After, and given up after `max_attempts` with the
loss counted and logged, so a dead endpoint cannot stall the writer forever.
"""

from __future__ import annotations

import gzip
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1 import trace_pb2

from rungway.domain.otlp_values import set_any_value
from rungway.traces.config import ExportConfig
from rungway.traces.content import SpanRecord, ready_rows
from rungway.traces.model import SpanRow
from rungway.traces.otlp_decode import span_content

log = logging.getLogger("rungway.traces.exporter")
_STATUS = {"unset": 0, "ok": 1, "error": 2}
_RETRY = {408, 429, 502, 503, 504}


def _attributes(row: SpanRow) -> dict[str, Any]:
    content = span_content(row.content)
    attrs: dict[str, Any] = dict(content.get("attributes") or {})
    attrs["rungway.span.kind"] = row.kind
    attrs["rungway.source"] = row.source
    for key, value in (
        ("rungway.workload", row.workload),
        ("user.id", row.user_id),
        ("session.id", row.session_id),
        ("rungway.cost_usd", row.cost_nano / 1e9 if row.cost_nano else None),
    ):
        if value is not None:
            attrs.setdefault(key, value)
    return attrs


def encode_spans(rows: Sequence[SpanRow]) -> bytes:
    """Rows as one ExportTraceServiceRequest, one resource per service name."""
    request = ExportTraceServiceRequest()
    by_service: dict[str | None, Any] = {}
    for row in rows:
        scope = by_service.get(row.service)
        if scope is None:
            resource_spans = request.resource_spans.add()
            name = resource_spans.resource.attributes.add(key="service.name")
            name.value.string_value = row.service or "rungway"
            scope = resource_spans.scope_spans.add()
            scope.scope.name = "rungway"
            by_service[row.service] = scope
        span = scope.spans.add(
            trace_id=bytes.fromhex(row.trace_id),
            span_id=bytes.fromhex(row.span_id),
            name=row.name,
            kind=trace_pb2.Span.SPAN_KIND_INTERNAL,
            start_time_unix_nano=int(row.start_time * 1e9),
            end_time_unix_nano=int(row.end_time * 1e9),
        )
        if row.parent_span_id:
            span.parent_span_id = bytes.fromhex(row.parent_span_id)
        span.status.code = _STATUS.get(row.status, 0)  # type: ignore[assignment]
        if row.status_message:
            span.status.message = row.status_message
        for key, value in _attributes(row).items():
            set_any_value(span.attributes.add(key=key).value, value)
    return request.SerializeToString()


class OtlpHttpExporter:
    """The export writer's sink: POST a batch, retry transient failures, count what is lost."""

    def __init__(self, config: ExportConfig, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self._sleep = sleep
        self.exported = 0
        self.failed_spans = 0

    def __call__(self, records: Sequence[SpanRecord]) -> None:
        if not records:
            return
        batch = ready_rows(records)
        body = encode_spans(batch)
        headers = {"Content-Type": "application/x-protobuf", **self.config.headers}
        if self.config.gzip:
            body = gzip.compress(body, 1)
            headers["Content-Encoding"] = "gzip"
        delay = 0.2
        problem = ""
        for attempt in range(1, self.config.max_attempts + 1):
            retry_after: float | None = None
            try:
                request = urllib.request.Request(self.config.endpoint, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(request, timeout=self.config.timeout_s) as answer:
                    answer.read()
                self.exported += len(batch)
                return
            except urllib.error.HTTPError as exc:
                problem = f"HTTP {exc.code}"
                if exc.code not in _RETRY:
                    break
                retry_after = _seconds(exc.headers.get("Retry-After"))
            except (urllib.error.URLError, OSError) as exc:
                problem = f"{exc.__class__.__name__}: {exc}"
            if attempt < self.config.max_attempts:
                self._sleep(min(retry_after if retry_after is not None else delay, 30.0))
                delay = min(delay * 2, 10.0)
        self.failed_spans += len(batch)
        log.error(
            "trace export to %s failed (%s); dropped %d spans (%d dropped so far)",
            self.config.endpoint,
            problem,
            len(batch),
            self.failed_spans,
        )


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
