"""Cost reports: spend by workload, user, model, team, tag, provider, provider account or prompt (version).

The use case behind `rungway cost report` and `GET /api/cost/report`. A report holds the groups,
a daily series, the top spending users and the total; all are integer nano-dollar sums over the
same slice of the request log, so they reconcile exactly with it (`CostReport.reconciles`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from rungway.budgets.cost_store import COST_DIMENSIONS, CostFilter, cost_by, cost_by_day, cost_total
from rungway.domain.pricing import usd
from rungway.domain.timespec import DAY
from rungway.errors import InvalidRequest
from rungway.services.logs import parse_time

__all__ = ["COST_BY", "CostReport", "CostRow", "cost_report", "report_dict"]

COST_BY = (*COST_DIMENSIONS, "tag")
TOP = 10


@dataclass(frozen=True, slots=True)
class CostRow:
    """One group (or one day) of a report."""

    key: str | None
    requests: int
    errors: int
    tokens_in: int
    tokens_out: int
    cost_nano: int

    @property
    def cost_per_1k_requests_usd(self) -> float:
        return usd(self.cost_nano) * 1000 / self.requests if self.requests else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "requests": self.requests,
            "errors": self.errors,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost_nano": self.cost_nano,
            "cost_usd": usd(self.cost_nano),
            "cost_per_1k_requests_usd": round(self.cost_per_1k_requests_usd, 9),
        }


@dataclass(frozen=True, slots=True)
class CostReport:
    """Spend grouped one way over [since, until), with a daily series, top users and the total."""

    by: str
    tag: str | None
    since: float | None
    until: float | None
    rows: list[CostRow]
    daily: list[CostRow]
    top_users: list[CostRow]
    total: CostRow
    generated_at: float = field(default_factory=time.time)

    def reconciles(self) -> bool:
        """Groups and days each add up to the total, to the nano-dollar."""
        return (
            sum(r.cost_nano for r in self.rows) == self.total.cost_nano
            and sum(d.cost_nano for d in self.daily) == self.total.cost_nano
            and sum(r.requests for r in self.rows) == self.total.requests
        )


def _row(raw: dict[str, Any], key: str | None) -> CostRow:
    return CostRow(key, raw["requests"], raw["errors"], raw["tokens_in"], raw["tokens_out"], raw["cost_nano"])


def _day(day: int) -> str:
    return datetime.fromtimestamp(day * DAY, UTC).date().isoformat()


def cost_report(
    engine: Engine,
    by: str,
    since: str | None = "30d",
    until: str | None = None,
    tag: str | None = None,
    workload: str | None = None,
    now: float | None = None,
) -> CostReport:
    """Build a report; InvalidRequest names a bad `by`, `tag`, `since` or `until`."""
    if by not in COST_BY:
        raise InvalidRequest(f"by {by!r} is not valid: use one of {', '.join(COST_BY)}", param="by")
    if by == "tag" and not tag:
        raise InvalidRequest("by tag needs the tag key to group by, e.g. tag=env (or --tag env)", param="tag")
    now = time.time() if now is None else now
    f = CostFilter(parse_time(since, now, "since"), parse_time(until, now, "until"), workload or None)
    rows = [_row(r, None if r["key"] is None else str(r["key"])) for r in cost_by(engine, by, f, tag)]
    daily = [_row(r, _day(int(r["day"]))) for r in cost_by_day(engine, f)]
    users = rows if by == "user" else [_row(r, r["key"]) for r in cost_by(engine, "user", f)]
    return CostReport(
        by=by,
        tag=tag if by == "tag" else None,
        since=f.since,
        until=f.until,
        rows=rows,
        daily=daily,
        top_users=[u for u in users if u.key is not None][:TOP],
        total=_row(cost_total(engine, f), "total"),
    )


def report_dict(report: CostReport) -> dict[str, Any]:
    return {
        "by": report.by,
        "tag": report.tag,
        "since": report.since,
        "until": report.until,
        "total": report.total.as_dict(),
        "rows": [r.as_dict() for r in report.rows],
        "daily": [{**d.as_dict(), "day": d.key} for d in report.daily],
        "top_users": [u.as_dict() for u in report.top_users],
        "reconciled": report.reconciles(),
    }
