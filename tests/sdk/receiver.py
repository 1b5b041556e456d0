"""A loopback OTLP/HTTP receiver for SDK tests: records each export it is sent, answers as told."""

from __future__ import annotations

import asyncio
import threading

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.servers import AppServer


class Receiver(AppServer):
    """`statuses` are answered in turn (then 200); `gate` (when cleared) holds every answer until set."""

    def __init__(self, *statuses: int) -> None:
        self.exports: list[ExportTraceServiceRequest] = []
        self.headers: list[dict[str, str]] = []
        self.statuses = list(statuses)
        self.gate = threading.Event()
        self.gate.set()
        self.requests = threading.Semaphore(0)  # released once per request received
        app = web.Application()
        app.router.add_post("/v1/traces", self._export)
        super().__init__(app)

    async def _export(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.release()
        await asyncio.to_thread(self.gate.wait, 10)
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            self.exports.append(ExportTraceServiceRequest.FromString(body))
            self.headers.append(dict(request.headers))
        return web.Response(status=status)

    def span_names(self) -> list[str]:
        return [s.name for e in self.exports for rs in e.resource_spans for ss in rs.scope_spans for s in ss.spans]
