"""Background OTLP/HTTP export of the SDK's spans: bounded, batched, never blocking the application.

Finished spans go into a bounded queue (when it is full, new spans are dropped and counted in
`dropped`: the oldest are kept, and `flush` does not wait for what was dropped); a daemon thread
sends them every half second or 512 spans as one protobuf `ExportTraceServiceRequest`, retrying
429/503 and connection errors a few times. `flush()` waits for delivery (tests, short scripts).
"""

from __future__ import annotations

import atexit
import threading
import time
import urllib.error
import urllib.request
from collections import deque

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from rungway.domain.otlp_values import set_any_value
from rungway.sdk.span import Span

_BATCH = 512
_RETRY = {429, 502, 503, 504}


def encode(spans: list[Span], service: str) -> bytes:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.add(key="service.name").value.string_value = service
    scope = resource_spans.scope_spans.add()
    scope.scope.name = "rungway.sdk"
    for s in spans:
        out = scope.spans.add(
            trace_id=bytes.fromhex(s.trace_id),
            span_id=bytes.fromhex(s.span_id),
            name=s.name,
            start_time_unix_nano=s.start_ns,
            end_time_unix_nano=s.end_ns,
        )
        if s.parent_span_id:
            out.parent_span_id = bytes.fromhex(s.parent_span_id)
        out.status.code = s.status[0]  # type: ignore[assignment]
        if s.status[1]:
            out.status.message = s.status[1]
        for key, value in s.attributes.items():
            if value is not None:
                set_any_value(out.attributes.add(key=key).value, value)
    return request.SerializeToString()


class SpanExporter:
    """Queue and send spans to `{base_url}/v1/traces`."""

    def __init__(self, base_url: str, api_key: str, service: str, timeout_s: float, max_queue: int = 10_000) -> None:
        self.url = f"{base_url}/v1/traces"
        self.api_key = api_key
        self._headers = {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {api_key}"}
        self._service = service
        self._timeout = timeout_s
        self.timeout_s = timeout_s
        self._queue: deque[Span] = deque()
        self._max_queue = max_queue
        self._lock = threading.Condition()
        self._stop = False
        self.sent = 0
        self.failed = 0
        self.added = 0
        self.dropped = 0  # spans refused because the queue was full
        self._thread = threading.Thread(target=self._run, name="rungway-sdk-export", daemon=True)
        self._thread.start()
        atexit.register(self.shutdown)

    def add(self, s: Span) -> None:
        with self._lock:
            self.added += 1
            if len(self._queue) >= self._max_queue:
                self.dropped += 1
                return
            self._queue.append(s)
            if len(self._queue) >= _BATCH:
                self._lock.notify_all()

    def flush(self, timeout_s: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            target = self.added
            self._lock.notify_all()
            while self.sent + self.failed + self.dropped < target and time.monotonic() < deadline:
                self._lock.wait(0.05)
                self._lock.notify_all()
            return self.sent >= target

    def shutdown(self) -> None:
        if self._stop:
            return
        self.flush(5.0)
        with self._lock:
            self._stop = True
            self._lock.notify_all()
        self._thread.join(5.0)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    if self._stop:
                        return
                    self._lock.wait(0.5)
                batch = [self._queue.popleft() for _ in range(min(_BATCH, len(self._queue)))]
            if batch:
                ok = self._send(encode(batch, self._service))
                with self._lock:
                    if ok:
                        self.sent += len(batch)
                    else:
                        self.failed += len(batch)
                    self._lock.notify_all()

    def _send(self, body: bytes) -> bool:
        delay = 0.1
        for _ in range(4):
            request = urllib.request.Request(self.url, data=body, headers=self._headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self._timeout) as answer:
                    answer.read()
                return True
            except urllib.error.HTTPError as exc:
                if exc.code not in _RETRY:
                    return False
            except OSError:
                pass
            time.sleep(delay)
            delay *= 2
        return False
