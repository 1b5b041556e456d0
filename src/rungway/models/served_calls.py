"""One scan of the request log's window by workload, model, deployment and routing rule, shared by the models
capability's evidence checks (`multi_model_routing`, `provider_outage_recovery`) within one assessment run.

Both checks read the same grouping of the same rows over windows of whole days (30 and 90): the log is scanned
once from `SPAN_DAYS` before the run's time, grouped by day as well, and each check keeps the days of its
window (exact: both windows end at the run's time). Scanning once instead of once per check halves their cost
on a large log.
"""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

from sqlalchemy import inspect, text

from rungway.evidence import CheckContext

__all__ = ["ServedCalls", "served_calls"]


@dataclass(frozen=True, slots=True)
class ServedCalls:
    """The calls of one (workload, requested model, deployment, routing rule) in the window."""

    workload: str
    model: str
    deployment: str | None
    rule: str | None
    calls: int
    ok: int  # answered with a status under 400
    failed_over: int  # served or failed on another deployment than the plan's first


SPAN_DAYS = 90
_DAY = 86_400
_SCANS: WeakKeyDictionary[CheckContext, list[tuple[int, ServedCalls]] | None] = WeakKeyDictionary()
_QUERY = (
    "SELECT {day} AS day, workload, model_requested, deployment, route_rule, COUNT(*),"
    " SUM(CASE WHEN status < 400 THEN 1 ELSE 0 END), SUM(CASE WHEN failed_over THEN 1 ELSE 0 END)"
    " FROM requests WHERE ts_start >= :origin AND workload IS NOT NULL"
    " GROUP BY day, workload, model_requested, deployment, route_rule"
)


def served_calls(ctx: CheckContext, since: float) -> list[ServedCalls] | None:
    """The groups of the calls since `since` (the log scanned once per run); None when the log has no routing
    columns yet."""
    origin = ctx.now - SPAN_DAYS * _DAY
    if since < origin:  # a window longer than the shared scan: its own
        scanned = _scan(ctx, since)
        return None if scanned is None else _merge(scanned, 0)
    if ctx not in _SCANS:
        _SCANS[ctx] = _scan(ctx, origin)
    days = _SCANS[ctx]
    return None if days is None else _merge(days, round((since - origin) / _DAY))


def _merge(days: list[tuple[int, ServedCalls]], first_day: int) -> list[ServedCalls]:
    merged: dict[tuple[str, str, str | None, str | None], list[int]] = {}
    for day, g in days:
        if day >= first_day:
            sums = merged.setdefault((g.workload, g.model, g.deployment, g.rule), [0, 0, 0])
            sums[0] += g.calls
            sums[1] += g.ok
            sums[2] += g.failed_over
    return [ServedCalls(w, m, d, r, n, ok, fo) for (w, m, d, r), (n, ok, fo) in merged.items()]


def _scan(ctx: CheckContext, origin: float) -> list[tuple[int, ServedCalls]] | None:
    if not ctx.has_table("requests"):
        return []
    columns = {c["name"] for c in inspect(ctx.engine).get_columns("requests")}
    if not {"deployment", "route_rule", "failed_over"} <= columns:
        return None
    offset = f"(ts_start - :origin) / {_DAY}"
    day = f"FLOOR({offset})" if ctx.engine.dialect.name == "postgresql" else f"CAST({offset} AS INTEGER)"
    with ctx.engine.connect() as conn:
        return [
            (int(dd), ServedCalls(str(w), str(m or ""), d, r, int(n), int(ok or 0), int(fo or 0)))
            for dd, w, m, d, r, n, ok, fo in conn.execute(text(_QUERY.format(day=day)), {"origin": origin})
        ]
