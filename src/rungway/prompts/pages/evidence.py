"""The evidence the approval view sets beside a decision: how the version in production is doing.

Calls, errors, median latency and cost of one prompt version over a window, read from the core
request-log columns `prompt_name`/`prompt_version` (every call the gateway rendered from the version),
through the partial index `ix_requests_prompt` (name, start time), so a week of a busy prompt is read
without a scan of the log. The workload filter is the reader's: a workload's key sees its own calls of
a shared prompt, never another workload's.

Evaluation results belong to the evaluation capability; until it is installed the view says so
(`EVALUATION_MISSING`) instead of showing an empty section that could be read as "no failures".
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from rungway.store.schema import requests

__all__ = ["EVALUATION_MISSING", "USAGE_WINDOW_S", "VersionUsage", "version_usage"]

USAGE_WINDOW_S = 7 * 86_400
EVALUATION_MISSING = "No evaluation runs: the evaluation capability is not installed."


@dataclass(frozen=True, slots=True)
class VersionUsage:
    """One version's calls through the gateway in a window (errors: HTTP status 400 and above)."""

    name: str
    version: int
    since: float
    until: float
    calls: int
    errors: int
    p50_latency_ms: float | None
    cost_nano: int

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.calls if self.calls else None

    @property
    def cost_usd(self) -> float:
        return self.cost_nano / 1e9


def version_usage(
    engine: Engine, *, workload: str | None, name: str, version: int, since: float, until: float
) -> VersionUsage:
    """The calls that rendered `name@version` in [since, until), of `workload` (None: every workload)."""
    where: list[ColumnElement[bool]] = [
        requests.c.prompt_name == name,
        requests.c.prompt_version == version,
        requests.c.ts_start >= since,
        requests.c.ts_start < until,
    ]
    if workload is not None:
        where.append(requests.c.workload == workload)
    totals = select(
        func.count(),
        func.coalesce(func.sum(case((requests.c.status >= 400, 1), else_=0)), 0),
        func.coalesce(func.sum(requests.c.cost_nano), 0),
    ).where(*where)
    with engine.connect() as conn:
        calls, errors, cost = conn.execute(totals).one()
        median = None
        if calls:
            middle = select(requests.c.latency_ms).where(*where).order_by(requests.c.latency_ms)
            median = conn.execute(middle.offset((int(calls) - 1) // 2).limit(1)).scalar_one_or_none()
    return VersionUsage(name, version, since, until, int(calls), int(errors), median, int(cost))
