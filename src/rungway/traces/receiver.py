"""The OTLP/HTTP trace receiver behind `POST /v1/traces`.

Order of work, cheapest refusal first: content type, workload key, queue admission (a full queue,
or one that would keep a new span waiting longer than `tracing.max_queue_wait_ms`, answers 503 +
Retry-After before the body is even read), body (gzip inflated with a size cap), decode (in a
worker thread for large bodies, so a big or redacted export never stalls the event loop), then
admission again and one all-or-nothing `offer_many` to the span queue. The answer (an
`ExportTraceServiceResponse`, with `partial_success` when spans were rejected) goes out before
the database write, which the batch writer does in its own thread. Errors follow the OTLP
spec: a `google.rpc.Status` in the request's encoding, with the HTTP status the spec names.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import orjson
from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from rungway.domain.pricing import Price
from rungway.domain.workloads import ContentCapture
from rungway.traces.content import ContentLimits, SpanRecord
from rungway.traces.otlp_decode import Decoded, MalformedExport, SpanBuilder, decode_json, decode_protobuf

log = logging.getLogger("rungway.traces.receiver")

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_OK_PROTOBUF = ExportTraceServiceResponse().SerializeToString()
# google.rpc.Code for the HTTP statuses we answer with.
_RPC_CODES = {400: 3, 401: 16, 403: 7, 413: 3, 415: 3, 429: 8, 503: 14}
# Bodies larger than this are decoded in the receiver's own threads (smaller when content is redacted
# or filtered: that work grows with the prompts inside); below it the thread hop costs more than it
# saves. Own threads, not the default executor, so API reads never queue behind decodes.
_DECODE_IN_THREAD_BYTES = 1 << 20
_DECODE_IN_THREAD_BYTES_PROTECTED = 64 << 10


class SpanQueue(Protocol):
    """What the receiver needs of the span queue (`admission.SpanFanout`)."""

    def admits(self, incoming: int = 0) -> bool: ...

    def retry_after_s(self) -> int: ...

    def offer_many(self, items: Sequence[SpanRecord]) -> bool: ...


@dataclass(frozen=True, slots=True)
class IngestPrincipal:
    """Who sent an export: their workload decides attribution and content capture."""

    workload: str
    capture: ContentCapture


def _rpc_status(code: int, message: str) -> bytes:
    """A google.rpc.Status protobuf (fields 1: code, 2: message), encoded by hand: two fields."""
    text = message.encode()
    out = bytearray(b"\x08")
    out += _varint(code)
    out += b"\x12"
    out += _varint(len(text))
    out += text
    return bytes(out)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def otlp_error(status: int, message: str, as_json: bool, retry_after: int | None = None) -> web.Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    code = _RPC_CODES.get(status, 2)
    if as_json:
        kind = "overloaded_error" if status in (429, 503) else "invalid_request_error"
        body = orjson.dumps(
            {"code": code, "message": message, "error": {"message": message, "type": kind, "code": str(status)}}
        )
        return web.Response(status=status, body=body, content_type=JSON, headers=headers)
    return web.Response(status=status, body=_rpc_status(code, message), content_type=PROTOBUF, headers=headers)


def inflate(body: bytes, limit: int) -> bytes:
    """Gunzip with a cap, so a small bomb cannot become gigabytes in memory."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise MalformedExport(f"Content-Encoding is gzip but the body is not valid gzip ({exc})") from None
    if len(out) > limit:
        raise OverflowError(limit)
    return out


class OtlpReceiver:
    """Authenticates, sheds load, decodes and queues OTLP trace exports."""

    def __init__(
        self,
        authenticate: Callable[[str], Awaitable[IngestPrincipal | None]],
        queue: SpanQueue,
        price_of: Callable[[str], Price | None],
        *,
        max_body_bytes: int,
        limits: ContentLimits | None = None,
    ) -> None:
        self._authenticate = authenticate
        self._queue = queue
        self._price_of = price_of
        self._max_body = max_body_bytes
        self._limits = limits or ContentLimits()
        self._decoders = ThreadPoolExecutor(max_workers=2, thread_name_prefix="rungway-otlp-decode")
        self._builders: dict[str, SpanBuilder] = {}
        self.rejected_spans = 0
        self.malformed_requests = 0

    def _builder(self, principal: IngestPrincipal) -> SpanBuilder:
        key = f"{principal.workload}\0{principal.capture.value}"
        builder = self._builders.get(key)
        if builder is None:
            if len(self._builders) > 10_000:
                self._builders.clear()
            builder = self._builders[key] = SpanBuilder(
                principal.workload, principal.capture, self._price_of, limits=self._limits
            )
        return builder

    async def handle(self, request: web.Request) -> web.StreamResponse:
        content_type = request.content_type
        as_json = content_type == JSON
        if content_type != PROTOBUF and not as_json:
            return otlp_error(415, f"unsupported Content-Type {content_type!r}; send {PROTOBUF} or {JSON}", False)
        auth = request.headers.get("Authorization", "")
        scheme, _, secret = auth.partition(" ")
        principal = await self._authenticate(secret.strip()) if scheme.lower() == "bearer" and secret else None
        if principal is None:
            return otlp_error(401, "send a valid workload key as `Authorization: Bearer rw-...`", as_json)
        if not self._queue.admits():
            return self._busy(as_json)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return otlp_error(413, f"the body exceeds {self._max_body} bytes; send smaller batches", as_json)
        except RequestPayloadError as exc:  # e.g. Content-Encoding: gzip over a body that is not gzip
            self.malformed_requests += 1
            return otlp_error(400, f"the body could not be read: {exc}", as_json)
        try:
            # aiohttp inflates gzip bodies itself (within client_max_size); inflate here only if it did not.
            if body[:2] == b"\x1f\x8b" and request.headers.get("Content-Encoding", "").lower() == "gzip":
                body = inflate(body, self._max_body)
            decoded = await self._decode(body, principal, as_json)
        except MalformedExport as exc:
            self.malformed_requests += 1
            return otlp_error(400, str(exc), as_json)
        except OverflowError:
            return otlp_error(413, f"the inflated body exceeds {self._max_body} bytes; send smaller batches", as_json)
        if decoded.rows and not (self._queue.admits(len(decoded.rows)) and self._queue.offer_many(decoded.rows)):
            return self._busy(as_json)
        return self._success(decoded, as_json)

    def _busy(self, as_json: bool) -> web.Response:
        message = "the span queue is full or would delay new spans too long; retry later"
        return otlp_error(503, message, as_json, self._queue.retry_after_s())

    async def _decode(self, body: bytes, principal: IngestPrincipal, as_json: bool) -> Decoded:
        builder = self._builder(principal)
        decode = decode_json if as_json else decode_protobuf
        protected = principal.capture is not ContentCapture.FULL
        if len(body) > (_DECODE_IN_THREAD_BYTES_PROTECTED if protected else _DECODE_IN_THREAD_BYTES):
            return await asyncio.get_running_loop().run_in_executor(self._decoders, decode, body, builder)
        return decode(body, builder)

    def close(self) -> None:
        """Stop the decode threads (after the server stopped taking requests)."""
        self._decoders.shutdown(wait=True)

    def _success(self, decoded: Decoded, as_json: bool) -> web.Response:
        if decoded.rejected:
            self.rejected_spans += decoded.rejected
        if as_json:
            data: dict[str, object] = {}
            if decoded.rejected:
                data["partialSuccess"] = {"rejectedSpans": str(decoded.rejected), "errorMessage": decoded.reason}
            return web.Response(body=orjson.dumps(data), content_type=JSON)
        if not decoded.rejected:
            return web.Response(body=_OK_PROTOBUF, content_type=PROTOBUF)
        answer = ExportTraceServiceResponse()
        answer.partial_success.rejected_spans = decoded.rejected
        answer.partial_success.error_message = decoded.reason
        return web.Response(body=answer.SerializeToString(), content_type=PROTOBUF)
