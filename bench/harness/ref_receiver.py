"""The reference OTLP receiver: the practical floor for a Python trace store on the same machine.

It does the least a trace store must do and nothing else: parse the OTLP/HTTP protobuf body, flatten each
span into one SQLite row (ids, name, times, status, the gen_ai / OpenInference fields a UI filters on as
columns, every attribute as JSON) and commit before answering 200, so a span is queryable once its POST
returns. Rungway's ingest numbers are read against it ("end-to-end >= 0.65x the reference receiver").

    .venv/bin/python bench/harness/ref_receiver.py --port 9212 --db /tmp/ref.db

`GET /count` answers `{"spans": N}` (a COUNT(*) on the table): the counter bench/harness/otlp_load.py polls.
One process, one event loop: pin it with `taskset -c 1` to measure one core.
"""

from __future__ import annotations

import argparse
import gzip
import sqlite3
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS spans (
  id INTEGER PRIMARY KEY, project TEXT NOT NULL, trace_id TEXT NOT NULL, span_id TEXT NOT NULL,
  parent_span_id TEXT, name TEXT NOT NULL, kind INTEGER, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
  status INTEGER, operation TEXT, provider TEXT, model TEXT, input_tokens INTEGER, output_tokens INTEGER,
  conversation_id TEXT, user_id TEXT, attributes BLOB
);
CREATE INDEX IF NOT EXISTS spans_by_trace ON spans(trace_id);
CREATE INDEX IF NOT EXISTS spans_by_project_start ON spans(project, start_ns);
CREATE INDEX IF NOT EXISTS spans_by_conversation ON spans(conversation_id);
"""
INSERT = "INSERT INTO spans VALUES (NULL" + ",?" * 17 + ")"
OK_BODY = ExportTraceServiceResponse().SerializeToString()
SPANS_DB = web.AppKey("spans_db", sqlite3.Connection)


def plain(value: Any) -> Any:
    """An OTLP AnyValue as the Python value it holds."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [plain(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: plain(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, kind)


def span_rows(request: ExportTraceServiceRequest) -> list[tuple[Any, ...]]:
    rows = []
    for resource_spans in request.resource_spans:
        resource = {kv.key: plain(kv.value) for kv in resource_spans.resource.attributes}
        project = resource.get("openinference.project.name") or resource.get("service.name") or "default"
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                attrs = {kv.key: plain(kv.value) for kv in span.attributes}
                get = attrs.get
                rows.append(
                    (
                        project,
                        span.trace_id.hex(),
                        span.span_id.hex(),
                        span.parent_span_id.hex() or None,
                        span.name,
                        span.kind,
                        span.start_time_unix_nano,
                        span.end_time_unix_nano,
                        span.status.code,
                        get("gen_ai.operation.name"),
                        get("gen_ai.provider.name") or get("llm.provider"),
                        get("gen_ai.response.model") or get("gen_ai.request.model") or get("llm.model_name"),
                        get("gen_ai.usage.input_tokens", get("llm.token_count.prompt")),
                        get("gen_ai.usage.output_tokens", get("llm.token_count.completion")),
                        get("gen_ai.conversation.id") or get("session.id"),
                        get("user.id") or get("enduser.id"),
                        orjson.dumps(attrs),
                    )
                )
    return rows


async def receive(request: web.Request) -> web.Response:
    body = await request.read()
    if request.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    export = ExportTraceServiceRequest()
    export.ParseFromString(body)
    db = request.app[SPANS_DB]
    with db:  # one transaction per export, committed before the answer
        db.executemany(INSERT, span_rows(export))
    return web.Response(body=OK_BODY, content_type="application/x-protobuf")


async def count(request: web.Request) -> web.Response:
    (spans,) = request.app[SPANS_DB].execute("SELECT COUNT(*) FROM spans").fetchone()
    return web.Response(body=orjson.dumps({"spans": spans}), content_type="application/json")


def open_db(path: Path) -> sqlite3.Connection:
    """A fresh database each start (WAL, synchronous=NORMAL: what a local trace store would choose)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = sqlite3.connect(path, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9212)
    parser.add_argument("--db", type=Path, required=True, help="SQLite file (deleted and recreated at start)")
    args = parser.parse_args()
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[SPANS_DB] = open_db(args.db)
    app.router.add_post("/v1/traces", receive)
    app.router.add_get("/count", count)
    import uvloop

    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None, loop=uvloop.new_event_loop())


if __name__ == "__main__":
    main()
