"""Queue admission by estimated drain time: an export that would wait too long is refused, none accepted is lost."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from rungway.traces.store import trace_stats
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway
from tests.traces.otlp_helpers import post

PB = {"Content-Type": "application/x-protobuf"}
# The writer only runs when flushed, so the queue holds what the test puts in it.
SLOW_WRITER = "tracing:\n  flush_interval_ms: 600000\n  batch_size: 100000\n  max_queue_wait_ms: 1\n"


def export(count: int) -> bytes:
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    trace_id = bytes.fromhex(secrets.token_hex(16))
    for index in range(count):
        scope.spans.add(
            trace_id=trace_id,
            span_id=(index + 1).to_bytes(8, "big"),
            name=f"s{index}",
            start_time_unix_nano=1,
            end_time_unix_nano=2,
        )
    return request.SerializeToString()


def test_an_export_that_would_wait_past_max_queue_wait_gets_503_and_retry_after_while_the_queue_has_room(
    gateway_factory: Callable[..., Gateway],
) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG + SLOW_WRITER)
    headers = {"Authorization": f"Bearer {gw.create_key('bench').secret}", **PB}
    url = f"{gw.base_url}/v1/traces"
    writer = next(w for w in gw.state.writers if w.name == "spans")
    assert post(url, export(2000), headers).status_code == 200
    gw.flush()  # one large batch written: the drain rate is now measured
    assert post(url, export(2000), headers).status_code == 200  # an empty queue always admits
    refused = post(url, export(2000), headers)
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1
    assert writer.depth == 2000 and writer.capacity_left > 2000
    gw.flush()
    assert post(url, export(2000), headers).status_code == 200  # the retry is accepted once drained
    gw.flush()
    assert trace_stats(gw.state.engine, "bench")["spans"] == 6000
