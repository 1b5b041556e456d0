"""Building OTLP exports for tests: with the real opentelemetry-sdk, or raw protobuf/JSON bodies."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1 import trace_pb2
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor


@contextmanager
def otel_tracer(base_url: str, secret: str, service: str = "test-app") -> Iterator[Any]:
    """A tracer whose spans go through the real OTLP/HTTP protobuf exporter to the gateway."""
    exporter = OTLPSpanExporter(endpoint=f"{base_url}/v1/traces", headers={"Authorization": f"Bearer {secret}"})
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        yield provider.get_tracer("tests")
    finally:
        provider.shutdown()


def raw_export(trace_id: bytes, names: list[str], attributes: dict[str, str] | None = None) -> bytes:
    """A protobuf export of root + children spans with string attributes."""
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    root_id = b"\x01" * 8
    for index, name in enumerate(names):
        span = scope.spans.add(
            trace_id=trace_id,
            span_id=root_id if index == 0 else bytes([2, index, 0, 0, 0, 0, 0, 1]),
            name=name,
            start_time_unix_nano=1_700_000_000_000_000_000 + index * 1_000_000,
            end_time_unix_nano=1_700_000_000_500_000_000,
        )
        if index:
            span.parent_span_id = root_id
        for key, value in (attributes or {}).items():
            span.attributes.add(key=key).value.string_value = value
        span.status.code = trace_pb2.Status.STATUS_CODE_OK
    return request.SerializeToString()


class Answer:
    """An HTTP answer: status, headers, body (what the tests look at)."""

    def __init__(self, status: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.content = content

    def json(self) -> Any:
        return json.loads(self.content)


def post(url: str, content: bytes, headers: dict[str, str]) -> Answer:
    request = urllib.request.Request(url, data=content, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return Answer(answer.status, dict(answer.headers), answer.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


def get(url: str, headers: dict[str, str] | None = None) -> Answer:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return Answer(answer.status, dict(answer.headers), answer.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())
