"""The request log: batch insert from the writer, filtered queries and usage roll-ups."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any

import orjson
from sqlalchemy import Engine, Integer, func, select

from rungway.domain.records import RequestRecord
from rungway.store.record_files import RecordCodec
from rungway.store.schema import requests

REQUEST_CODEC: RecordCodec[RequestRecord] = RecordCodec(RequestRecord, ("id",))

# The insert path runs for every call, in the writer thread on the gateway's core: rows are plain
# tuples read by one C-level attrgetter and sent with the driver's own executemany, not dicts
# through SQLAlchemy's per-row parameter processing (measured in docs/benchmarks.md).
_PLAIN_FIELDS = tuple(f.name for f in fields(RequestRecord) if f.name != "tags")
_INSERT_COLUMNS = (*("user_id" if name == "user" else name for name in _PLAIN_FIELDS), "tags", "recorded_at")
_plain_values = attrgetter(*_PLAIN_FIELDS)
_insert_sql: dict[str, str] = {}


def _row(record: RequestRecord, recorded_at: float) -> tuple[Any, ...]:
    values: tuple[Any, ...] = _plain_values(record)
    return (*values, orjson.dumps(record.tags).decode(), recorded_at)


def _insert_statement(engine: Engine) -> str:
    """`INSERT INTO requests (...) VALUES (?, ...)` in the driver's positional parameter style."""
    dialect = engine.dialect
    sql = _insert_sql.get(dialect.name)
    if sql is None:
        quote = dialect.identifier_preparer.quote
        mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}[dialect.paramstyle]
        columns = ", ".join(quote(c) for c in _INSERT_COLUMNS)
        table = dialect.identifier_preparer.format_table(requests)
        # ON CONFLICT: a record replayed from a spill or write-ahead file after a crash may already be
        # stored; it is stored once.
        marks = ", ".join([mark] * len(_INSERT_COLUMNS))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT (id) DO NOTHING"
        _insert_sql[dialect.name] = sql
    return sql


def insert_requests(engine: Engine, records: Sequence[RequestRecord]) -> None:
    """One transaction, one executemany: the batch writer's sink."""
    if not records:
        return
    recorded_at = time.time()  # a row stored long after its call started is a late write (schema.LATE_WRITE_S)
    with engine.begin() as conn:
        conn.exec_driver_sql(_insert_statement(engine), [_row(r, recorded_at) for r in records])


@dataclass(frozen=True, slots=True)
class RequestFilter:
    """What `rungway logs query` and `GET /api/logs` filter on."""

    workload: str | None = None
    user: str | None = None
    model: str | None = None
    status: int | None = None
    errors_only: bool = False
    since: float | None = None
    until: float | None = None
    trace_id: str | None = None
    limit: int = 100
    before_id: str | None = None
    min_cost_nano: int | None = None
    min_latency_ms: float | None = None
    prompt_name: str | None = None  # only calls that rendered this registry prompt
    prompt_version: int | None = None  # ... at this version
    deployment: str | None = None  # only calls served by (or last failed on) this deployment


def query_requests(engine: Engine, f: RequestFilter) -> list[dict[str, Any]]:
    """Newest first by id (ids are time-ordered to the millisecond); `before_id` pages backwards.

    The order must be the cursor's: ordering by `ts_start` while paging by id skipped or repeated calls
    that started in the same millisecond."""
    q = select(requests)
    if f.workload:
        q = q.where(requests.c.workload == f.workload)
    if f.user:
        q = q.where(requests.c.user_id == f.user)
    if f.model:
        q = q.where((requests.c.model_requested == f.model) | (requests.c.model_resolved == f.model))
    if f.status is not None:
        q = q.where(requests.c.status == f.status)
    if f.errors_only:
        q = q.where(requests.c.status >= 400)
    if f.since is not None:
        q = q.where(requests.c.ts_start >= f.since)
    if f.until is not None:
        q = q.where(requests.c.ts_start < f.until)
    if f.trace_id:
        q = q.where(requests.c.trace_id == f.trace_id)
    if f.min_cost_nano is not None:
        q = q.where(requests.c.cost_nano >= f.min_cost_nano)
    if f.min_latency_ms is not None:
        q = q.where(requests.c.latency_ms >= f.min_latency_ms)
    if f.prompt_name:
        q = q.where(requests.c.prompt_name == f.prompt_name)
    if f.prompt_version is not None:
        q = q.where(requests.c.prompt_version == f.prompt_version)
    if f.deployment:
        q = q.where(requests.c.deployment == f.deployment)
    if f.before_id:
        q = q.where(requests.c.id < f.before_id)
    q = q.order_by(requests.c.id.desc()).limit(max(1, min(f.limit, 10_000)))
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    for row in rows:
        row["tags"] = orjson.loads(row["tags"] or "{}")
    return rows


USAGE_DIMENSIONS = {
    "workload": requests.c.workload,
    "user": requests.c.user_id,
    "model": requests.c.model_requested,
    "provider": requests.c.provider,
    "team": requests.c.team,
    "key": requests.c.key_id,
    "status": requests.c.status,
    "provider_account": requests.c.provider_account,
}


def usage_by(
    engine: Engine,
    dimension: str,
    since: float | None,
    until: float | None = None,
    workload: str | None = None,
) -> list[dict[str, Any]]:
    """Requests, errors, tokens, cost and latency grouped by one dimension, costliest first."""
    column = USAGE_DIMENSIONS[dimension]
    q = select(
        column.label("key"),
        func.count().label("requests"),
        func.sum((requests.c.status >= 400).cast(Integer)).label("errors"),
        func.coalesce(func.sum(requests.c.tokens_in), 0).label("tokens_in"),
        func.coalesce(func.sum(requests.c.tokens_out), 0).label("tokens_out"),
        func.coalesce(func.sum(requests.c.tokens_cached), 0).label("tokens_cached"),
        func.coalesce(func.sum(requests.c.cost_nano), 0).label("cost_nano"),
        func.avg(requests.c.latency_ms).label("avg_latency_ms"),
    ).group_by(column)
    if since is not None:
        q = q.where(requests.c.ts_start >= since)
    if until is not None:
        q = q.where(requests.c.ts_start < until)
    if workload:
        q = q.where(requests.c.workload == workload)
    q = q.order_by(func.coalesce(func.sum(requests.c.cost_nano), 0).desc())
    with engine.connect() as conn:
        return [
            {**dict(r._mapping), "errors": int(r.errors or 0), "cost_nano": int(r.cost_nano)} for r in conn.execute(q)
        ]


def count_requests(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(requests)).scalar_one())


__all__ = ["REQUEST_CODEC", "RequestFilter", "count_requests", "insert_requests", "query_requests", "usage_by"]
