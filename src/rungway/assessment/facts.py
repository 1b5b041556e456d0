"""Request-log facts for the maturity assessment, pre-aggregated by hour so that assessing is not a scan.

The evidence checks need, per workload over a window, counts such as "calls attributed to a user"
or "calls resolved to a pinned snapshot". Scanning a million request rows for that takes seconds
on SQLite, so closed hours are rolled up once into `assessment_hourly` (one row per hour, workload,
key and resolved model) and a window is the sum of its whole hours plus a live query over the
edges (the partial first hour and everything after the roll-up's watermark). The roll-up only
covers hours that ended more than `slack_s` ago, so records still in a writer queue are not missed.
A row stored later than that (a backlog drained after an outage, a spill replayed at the next start)
is a late write: the writer stamps every row's `recorded_at`, late rows alone are indexed
(`ix_requests_late`), and each refresh recounts the closed hours that late rows landed in since the
last one, so a rolled-up hour never stays short.

Calls that rendered a registry prompt (`requests.prompt_name`/`prompt_version`, set by the gateway) are
also rolled up on their own, narrowly, into `assessment_prompt_hourly` (hour, workload, prompt version:
calls, successful chat calls), in the same transactions, for the prompt library's evidence; the
main roll-up keeps its grain, so checks that do not ask about prompts read no more rows. Calls by requested
model, deployment and routing rule are rolled up the same way into `assessment_route_hourly`
(`route_facts.py`) for the models capability's routing and failover evidence.

When the traces capability's `spans` table exists, each successful chat call also counts as
`traced` when the gateway's span for it kept both its input and its output (full or redacted).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    LargeBinary,
    Select,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    column,
    delete,
    exists,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    table,
)

from rungway.assessment.route_facts import ROUTE_NAMES, assessment_route_hourly, read_route_facts, route_grouped
from rungway.domain.records import NOT_CHAT_ENDPOINTS
from rungway.domain.timespec import HOUR
from rungway.evidence import MEASURES, PromptFacts, RequestFacts, RouteFacts
from rungway.store.rollup import HourlyRollup, Writer, closed_hour
from rungway.store.schema import LATE_ROW, LATE_WRITE_S, metadata, requests

ROLLUP_NAME = "requests"
LATE_NAME = "requests_late"  # its watermark: late rows stored before it were recounted

assessment_hourly = Table(
    "assessment_hourly",
    metadata,
    Column("bucket", Float, primary_key=True),
    Column("workload", String(64), primary_key=True),
    Column("key_id", String(40), primary_key=True),
    Column("model_resolved", String(128), primary_key=True),
    Column("calls", BigInteger, nullable=False),
    Column("ok_calls", BigInteger, nullable=False),
    Column("ok_chat", BigInteger, nullable=False),
    Column("traced", BigInteger, nullable=False),
    Column("with_user", BigInteger, nullable=False),
    Column("ok_priced", BigInteger, nullable=False),
    Column("with_account", BigInteger, nullable=False),
    Column("errors", BigInteger, nullable=False),
    Column("with_latency", BigInteger, nullable=False),
    *(Column(m, BigInteger, nullable=False, server_default="0") for m in MEASURES[MEASURES.index("with_end_user") :]),
    Index("ix_assessment_hourly_bucket", "bucket"),
)

assessment_prompt_hourly = Table(  # a0004
    "assessment_prompt_hourly",
    metadata,
    Column("bucket", Float, primary_key=True),
    Column("workload", String(64), primary_key=True),
    Column("prompt_name", String(128), primary_key=True),
    Column("prompt_version", Integer, primary_key=True),
    Column("calls", BigInteger, nullable=False),
    Column("ok_chat", BigInteger, nullable=False),
    Index("ix_assessment_prompt_hourly_bucket", "bucket"),
)
PROMPT_NAMES = ["bucket", "workload", "prompt_name", "prompt_version", "calls", "ok_chat"]

assessment_rollup_state = Table(
    "assessment_rollup_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("watermark", Float, nullable=False),
)

# The traces capability's table, named lightly so that this module works whether or not it is installed.
_spans = table("spans", column("trace_id"), column("span_id"), column("content"))


def spans_table_exists(engine: Engine) -> bool:
    return bool(inspect(engine).has_table("spans"))


def _content_as_text(engine: Engine) -> ColumnElement[str]:
    """The span's JSON content as text: the traces store keeps it as UTF-8 bytes (BLOB / bytea) or text."""
    binary = any(
        c["name"] == "content" and isinstance(c["type"], LargeBinary) for c in inspect(engine).get_columns("spans")
    )
    if not binary:
        return cast(_spans.c.content, Text)
    if engine.dialect.name == "postgresql":
        return func.convert_from(_spans.c.content, "UTF8")
    return cast(_spans.c.content, Text)  # SQLite reads a BLOB's bytes as UTF-8 text


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _sum_where(condition: ColumnElement[bool], value: ColumnElement[Any]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _aggregates(engine: Engine, with_spans: bool) -> list[ColumnElement[int]]:
    r = requests.c
    ok = r.status < 400
    ok_chat = and_(ok, r.endpoint.not_in(NOT_CHAT_ENDPOINTS))
    if with_spans:
        content = _content_as_text(engine)
        captured = exists(
            select(literal(1))
            .select_from(_spans)
            .where(
                _spans.c.trace_id == r.trace_id,
                _spans.c.span_id == r.span_id,
                content.like('%"gen_ai.input.messages"%'),
                content.like('%"gen_ai.output.messages"%'),
            )
        )
        traced: ColumnElement[int] = _count(and_(ok_chat, captured))
    else:
        traced = literal(0)
    return [
        func.count().label("calls"),
        _count(ok).label("ok_calls"),
        _count(ok_chat).label("ok_chat"),
        traced.label("traced"),
        func.count(r.user_id).label("with_user"),
        _count(and_(ok, r.priced == True)).label("ok_priced"),  # noqa: E712 (SQL comparison)
        func.count(r.provider_account).label("with_account"),
        _count(r.status >= 400).label("errors"),
        func.count(r.latency_ms).label("with_latency"),
        _count(r.user_from_request == True).label("with_end_user"),  # noqa: E712 (SQL comparison)
        _count(r.model_pinned == True).label("pinned"),  # noqa: E712 (SQL comparison)
        _count(r.status == 429).label("rate_limited"),
        _count(r.status.in_((502, 503, 504))).label("upstream_errors"),
        _count(r.status == 500).label("server_errors"),
        func.coalesce(func.sum(r.cost_nano), 0).label("spend"),
        func.coalesce(func.sum(case((r.user_id.is_not(None), r.cost_nano), else_=0)), 0).label("spend_with_user"),
        _count(and_(r.status == 200, r.endpoint.not_in(NOT_CHAT_ENDPOINTS))).label("served_chat"),
        _count(r.cache == "exact").label("exact_hits"),
        _sum_where(r.cache == "exact", r.cost_saved_nano).label("exact_saved"),
        _count(r.cache == "semantic").label("semantic_hits"),
        _sum_where(r.cache == "semantic", r.cost_saved_nano).label("semantic_saved"),
        _sum_where(r.cache.is_(None), r.tokens_cached).label("upstream_cached_tokens"),
    ]


def _bucket(engine: Engine) -> ColumnElement[float]:
    """The hour a call started in; SQLite's CAST truncates (times are positive), PostgreSQL's rounds."""
    ts = requests.c.ts_start
    if engine.dialect.name == "sqlite":
        return func.cast(ts / HOUR, Integer) * HOUR
    return func.floor(ts / HOUR) * HOUR


def _grouped(engine: Engine, ranges: list[tuple[float, float]], with_spans: bool, by_hour: bool) -> Select[Any]:
    r = requests.c
    keys: list[ColumnElement[Any]] = [
        r.workload,
        func.coalesce(r.key_id, "").label("key_id"),
        func.coalesce(r.model_resolved, "").label("model_resolved"),
    ]
    if by_hour:
        keys.insert(0, _bucket(engine).label("bucket"))
    window = or_(*(and_(r.ts_start >= a, r.ts_start < b) for a, b in ranges))
    return select(*keys, *_aggregates(engine, with_spans)).where(window, r.workload.is_not(None)).group_by(*keys)


def _prompt_grouped(engine: Engine, ranges: list[tuple[float, float]], by_hour: bool) -> Select[Any]:
    """Calls that rendered a registry prompt, per (hour,) workload and prompt version."""
    r = requests.c
    keys: list[ColumnElement[Any]] = [r.workload, r.prompt_name, func.coalesce(r.prompt_version, 0).label("v")]
    if by_hour:
        keys.insert(0, _bucket(engine).label("bucket"))
    window = or_(*(and_(r.ts_start >= a, r.ts_start < b) for a, b in ranges))
    ok_chat = _count(and_(r.status < 400, r.endpoint.not_in(NOT_CHAT_ENDPOINTS))).label("ok_chat")
    where = and_(window, r.workload.is_not(None), r.prompt_name.is_not(None))
    return select(*keys, func.count().label("calls"), ok_chat).where(where).group_by(*keys)


def _write_hours(conn: Connection, engine: Engine, start: float, end: float, with_spans: bool) -> None:
    """Add the roll-up rows of [start, end): the request facts, the prompt facts and the route facts."""
    names = ["bucket", "workload", "key_id", "model_resolved", *MEASURES]
    conn.execute(insert(assessment_hourly).from_select(names, _grouped(engine, [(start, end)], with_spans, True)))
    conn.execute(
        insert(assessment_prompt_hourly).from_select(PROMPT_NAMES, _prompt_grouped(engine, [(start, end)], True))
    )
    routes = route_grouped([(start, end)], _bucket(engine))
    conn.execute(insert(assessment_route_hourly).from_select(ROUTE_NAMES, routes))


_HOURLY = (assessment_hourly, assessment_prompt_hourly, assessment_route_hourly)


ROLLUP = HourlyRollup(assessment_rollup_state, ROLLUP_NAME)
LATE_RECOUNT = HourlyRollup(assessment_rollup_state, LATE_NAME)


def rollup_watermark(engine: Engine, name: str = ROLLUP_NAME) -> float | None:
    """Calls that started before this time are in `assessment_hourly`; None before the first roll-up."""
    return HourlyRollup(assessment_rollup_state, name).watermark(engine)


def recount_late_hours(engine: Engine, now: float, *, slack_s: float = 600.0) -> int:
    """Roll up again every closed hour a late row landed in since the last recount; returns the hours.

    Late rows are found through the partial index `ix_requests_late` (only late rows are in it); the
    scan overlaps the previous one by `slack_s`, so a row whose transaction committed just after
    that recount is not missed (recounting an hour twice gives the same sums).
    """
    rolled_to = rollup_watermark(engine)
    if rolled_to is None:
        return 0
    last = rollup_watermark(engine, LATE_NAME)
    r = requests.c
    with_spans = spans_table_exists(engine)
    with engine.begin() as conn:
        if not LATE_RECOUNT.move(conn, last, now):
            return 0
        late = select(_bucket(engine).label("bucket")).where(LATE_ROW, r.ts_start < rolled_to)
        if last is not None:
            late = late.where(r.recorded_at >= last - slack_s)
        buckets = sorted({float(b) for (b,) in conn.execute(late.distinct())})
        for bucket in buckets:
            for hourly in _HOURLY:
                conn.execute(delete(hourly).where(hourly.c.bucket == bucket))
            _write_hours(conn, engine, bucket, bucket + HOUR, with_spans)
    return len(buckets)


def refresh_rollup(engine: Engine, now: float, *, slack_s: float = 600.0, chunk_hours: int | None = None) -> int:
    """Roll up every closed hour since the watermark; returns the hours added. Safe to run from several
    processes: each chunk moves the watermark with a compare-and-set in the same transaction.

    On SQLite a catch-up goes a day per transaction, so the gateway's writer is never held off for
    long; PostgreSQL does it in one statement, where one hash join over the spans beats many.
    """
    if chunk_hours is None:
        chunk_hours = 24 if engine.dialect.name == "sqlite" else 24 * 366
    if slack_s < LATE_WRITE_S + 60:
        raise ValueError(f"slack_s must leave a minute past LATE_WRITE_S ({LATE_WRITE_S:g} s) for commits")
    recount_late_hours(engine, now, slack_s=slack_s)
    with_spans = spans_table_exists(engine)

    def prepare(start: float, end: float) -> Writer:
        def write(conn: Connection) -> None:
            _write_hours(conn, engine, start, end, with_spans)

        return write

    return ROLLUP.advance(engine, closed_hour(now, slack_s), chunk_hours, prepare)


def _split(engine: Engine, since: float, until: float) -> tuple[tuple[float, float] | None, list[tuple[float, float]]]:
    """[since, until) as the rolled-up whole hours it covers (None: none) and the ranges left to read live."""
    watermark = rollup_watermark(engine)
    rolled_from = math.ceil(since / HOUR) * HOUR
    rolled_to = min(watermark, math.floor(until / HOUR) * HOUR) if watermark is not None else rolled_from
    if rolled_to <= rolled_from:
        return None, [(since, until)] if until > since else []
    live = [(a, b) for a, b in ((since, rolled_from), (rolled_to, until)) if b > a]
    return (rolled_from, rolled_to), live


def request_facts(engine: Engine, since: float, until: float) -> tuple[list[RequestFacts], bool]:
    """Facts per (workload, key, model) over [since, until), and whether span evidence was available."""
    with_spans = spans_table_exists(engine)
    rolled, live = _split(engine, since, until)
    out: dict[tuple[str, str, str], RequestFacts] = {}

    def add(rows: Iterable[tuple[object, ...]]) -> None:
        for row in rows:
            key = (str(row[0]), str(row[1]), str(row[2]))
            facts = out.get(key)
            if facts is None:
                facts = out[key] = RequestFacts(*key)
            facts.add(row[3:])  # type: ignore[arg-type]

    with engine.connect() as conn:
        if rolled is not None:
            h = assessment_hourly.c
            sums = [func.sum(getattr(h, m)) for m in MEASURES]
            add(
                conn.execute(
                    select(h.workload, h.key_id, h.model_resolved, *sums)
                    .where(h.bucket >= rolled[0], h.bucket < rolled[1])
                    .group_by(h.workload, h.key_id, h.model_resolved)
                ).all()
            )
        if live:
            add(conn.execute(_grouped(engine, live, with_spans, by_hour=False)).all())
    return list(out.values()), with_spans


def prompt_facts(engine: Engine, since: float, until: float) -> list[PromptFacts]:
    """Calls per (workload, prompt version) over [since, until): rolled-up hours plus a live query over the edges."""
    rolled, live = _split(engine, since, until)
    out: dict[tuple[str, str, int], PromptFacts] = {}

    def add(rows: Iterable[tuple[Any, ...]]) -> None:
        for workload, name, version, calls, ok_chat in rows:
            key = (str(workload), str(name), int(version or 0))
            facts = out.get(key)
            if facts is None:
                facts = out[key] = PromptFacts(*key)
            facts.calls += int(calls or 0)
            facts.ok_chat += int(ok_chat or 0)

    with engine.connect() as conn:
        if rolled is not None:
            h = assessment_prompt_hourly.c
            groups = (h.workload, h.prompt_name, h.prompt_version)
            summed = select(*groups, func.sum(h.calls), func.sum(h.ok_chat))
            add(conn.execute(summed.where(h.bucket >= rolled[0], h.bucket < rolled[1]).group_by(*groups)).all())
        if live:
            add(conn.execute(_prompt_grouped(engine, live, by_hour=False)).all())
    return list(out.values())


def route_facts(engine: Engine, since: float, until: float) -> list[RouteFacts]:
    """Calls per (workload, requested model, deployment, rule) over [since, until): rolled-up hours plus a live
    query over the edges (`route_facts.py`)."""
    rolled, live = _split(engine, since, until)
    with engine.connect() as conn:
        return read_route_facts(conn, rolled, live)


def rebuild_rollup(engine: Engine, now: float) -> int:
    """Drop the roll-up and build it again (after back-filling old request rows)."""
    with engine.begin() as conn:
        for hourly in _HOURLY:
            conn.execute(hourly.delete())
        conn.execute(assessment_rollup_state.delete())
    return refresh_rollup(engine, now)


__all__ = [
    "MEASURES",
    "PromptFacts",
    "RequestFacts",
    "RouteFacts",
    "assessment_prompt_hourly",
    "assessment_route_hourly",
    "prompt_facts",
    "rebuild_rollup",
    "recount_late_hours",
    "refresh_rollup",
    "request_facts",
    "rollup_watermark",
    "route_facts",
    "spans_table_exists",
]
