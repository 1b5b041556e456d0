"""Calls by deployment and routing rule, rolled up per hour for the models capability's evidence checks.

`multi_model_routing` and `provider_outage_recovery` ask, per workload over 30 and 90 days, which deployments
served each requested model, which routing rules chose the plans, and how many calls failed over. Reading that
from the request log is a scan of every call in 90 days; so closed hours are rolled up into
`assessment_route_hourly` (hour, workload, requested model, deployment, rule: calls, calls answered under 400,
calls that failed over), in the same transactions as the assessment's other hourly facts (`facts.py`, which
owns the watermark, the late-row recount and the rebuild), and a window is its rolled-up hours plus a live
query over the edges. The grain is narrow and separate, as for the prompt facts, so the request facts keep
theirs. A call without a deployment or a rule is kept under '' (primary-key columns cannot be NULL) and read
back as None.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Float,
    Index,
    Select,
    String,
    Table,
    and_,
    case,
    func,
    or_,
    select,
)

from rungway.evidence import RouteFacts
from rungway.store.schema import metadata, requests

__all__ = ["ROUTE_NAMES", "assessment_route_hourly", "read_route_facts", "route_grouped"]

assessment_route_hourly = Table(  # a0005
    "assessment_route_hourly",
    metadata,
    Column("bucket", Float, primary_key=True),
    Column("workload", String(64), primary_key=True),
    Column("model_requested", String(128), primary_key=True),
    Column("deployment", String(128), primary_key=True),
    Column("route_rule", String(128), primary_key=True),
    Column("calls", BigInteger, nullable=False),
    Column("ok_calls", BigInteger, nullable=False),
    Column("failed_over", BigInteger, nullable=False),
    Index("ix_assessment_route_hourly_bucket", "bucket"),
)
ROUTE_NAMES = ["bucket", "workload", "model_requested", "deployment", "route_rule", "calls", "ok_calls", "failed_over"]


def route_grouped(ranges: list[tuple[float, float]], bucket: ColumnElement[float] | None) -> Select[Any]:
    """The request log's calls in `ranges`, per (hour when `bucket` is given,) workload, requested model,
    deployment and rule."""
    r = requests.c
    keys: list[ColumnElement[Any]] = [
        r.workload,
        func.coalesce(r.model_requested, "").label("model_requested"),
        func.coalesce(r.deployment, "").label("deployment"),
        func.coalesce(r.route_rule, "").label("route_rule"),
    ]
    if bucket is not None:
        keys.insert(0, bucket.label("bucket"))
    window = or_(*(and_(r.ts_start >= a, r.ts_start < b) for a, b in ranges))
    ok = func.sum(case((r.status < 400, 1), else_=0)).label("ok_calls")
    failed_over = func.sum(case((r.failed_over == True, 1), else_=0)).label("failed_over")  # noqa: E712 (SQL)
    return (
        select(*keys, func.count().label("calls"), ok, failed_over)
        .where(window, r.workload.is_not(None))
        .group_by(*keys)
    )


def read_route_facts(
    conn: Connection, rolled: tuple[float, float] | None, live: list[tuple[float, float]]
) -> list[RouteFacts]:
    """The sums of the rolled-up hours in [rolled) and of the live ranges, per workload, model, deployment, rule."""
    out: dict[tuple[str, str, str, str], RouteFacts] = {}

    def add(rows: Iterable[tuple[Any, ...]]) -> None:
        for workload, model, deployment, rule, calls, ok, failed_over in rows:
            key = (str(workload), str(model or ""), str(deployment or ""), str(rule or ""))
            facts = out.get(key)
            if facts is None:
                facts = out[key] = RouteFacts(key[0], key[1], key[2] or None, key[3] or None)
            facts.calls += int(calls or 0)
            facts.ok += int(ok or 0)
            facts.failed_over += int(failed_over or 0)

    if rolled is not None:
        h = assessment_route_hourly.c
        groups = (h.workload, h.model_requested, h.deployment, h.route_rule)
        sums = (func.sum(h.calls), func.sum(h.ok_calls), func.sum(h.failed_over))
        where = and_(h.bucket >= rolled[0], h.bucket < rolled[1])
        add(conn.execute(select(*groups, *sums).where(where).group_by(*groups)).all())
    if live:
        add(conn.execute(route_grouped(live, None)).all())
    return list(out.values())
