"""Usage of one prompt per version, from the request log: calls, errors, latency, tokens and cost.

The use case behind `rungway prompts usage NAME` and `GET /api/prompts/{name}/usage`: how each
version of a prompt behaves in traffic, so a person deciding whether to move `production` sees
what the current version does. It reads the core request-log columns `prompt_name` and
`prompt_version` (set by the gateway when a call renders a registry prompt) through the partial
index `ix_requests_prompt` (prompt name, start time), so only the prompt's own calls in the window
are read, never the whole log. Latency percentiles are nearest-rank (PostgreSQL's `percentile_disc`;
on SQLite, from one pass over the window's latencies).
"""

from __future__ import annotations

import math
import time
from array import array
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Integer, Select, cast, func, literal, select

from rungway.domain.pricing import usd
from rungway.errors import InvalidRequest, NotFound
from rungway.prompts.service import get_version, list_prompts
from rungway.prompts.template import NAME_PATTERN
from rungway.services.logs import parse_time
from rungway.store.schema import requests

__all__ = ["PERCENTILES", "PromptUsage", "VersionUsage", "prompt_usage", "usage_dict", "visible_usage"]

PERCENTILES = (0.5, 0.95)
MAX_VERSIONS = 500  # versions shown, newest first (a prompt rarely has more in a window)
c = requests.c


@dataclass(frozen=True, slots=True)
class VersionUsage:
    """One version's calls in the window (or the total over every version, `version` None)."""

    version: int | None
    calls: int
    errors: int
    tokens_in: int
    tokens_out: int
    cost_nano: int
    p50_ms: float | None
    p95_ms: float | None

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "calls": self.calls,
            "errors": self.errors,
            "error_rate": round(self.error_rate, 6),
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost_nano": self.cost_nano,
            "cost_usd": usd(self.cost_nano),
        }


@dataclass(frozen=True, slots=True)
class PromptUsage:
    """A prompt's versions in traffic over [since, until), for one workload or (None) every workload."""

    name: str
    workload: str | None
    since: float | None
    until: float
    versions: list[VersionUsage]
    total: VersionUsage


def _sums() -> list[Any]:
    return [
        func.count().label("calls"),
        func.coalesce(func.sum(cast(c.status >= 400, Integer)), 0).label("errors"),
        func.coalesce(func.sum(c.tokens_in), 0).label("tokens_in"),
        func.coalesce(func.sum(c.tokens_out), 0).label("tokens_out"),
        func.coalesce(func.sum(c.cost_nano), 0).label("cost_nano"),
    ]


def _window(q: Select[Any], name: str, workload: str | None, since: float | None, until: float) -> Select[Any]:
    q = q.where(c.prompt_name == name, c.ts_start < until)
    if since is not None:
        q = q.where(c.ts_start >= since)
    if workload is not None:
        q = q.where(c.workload == workload)
    return q


def _nearest_rank(ordered: Sequence[float], p: float) -> float | None:
    if not ordered:
        return None
    return round(float(ordered[max(1, math.ceil(p * len(ordered))) - 1]), 3)


def _latencies(conn: Connection, q: Select[Any]) -> dict[int | None, list[float]]:
    """Each version's latencies, and every call's under None, sorted: one pass over the window (SQLite has no
    percentile function; one ORDER BY per version and percentile read the window eight times)."""
    per_version: dict[int | None, array[float]] = defaultdict(lambda: array("d"))
    every = array("d")
    for version, latency in conn.execute(q):
        per_version[version].append(latency)
        every.append(latency)
    out: dict[int | None, list[float]] = {v: sorted(values) for v, values in per_version.items()}
    out[None] = sorted(every)
    return out


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        shown = name[:130] if isinstance(name, str) else name
        rule = "letters, digits, '.', '_' or '-', starting with a letter or digit, at most 128"
        raise InvalidRequest(f"{shown!r} is not a prompt name ({rule})", param="name")


def visible_usage(
    engine: Engine,
    name: str,
    *,
    workload: str | None,
    since: str | None = "7d",
    until: str | None = None,
    now: float | None = None,
) -> PromptUsage:
    """`prompt_usage` of a prompt `workload` sees (None: any workload's, for admins); NotFound otherwise,
    the same answer for another workload's prompt as for a missing one."""
    _check_name(name)
    if workload is not None:
        get_version(engine, workload=workload, name=name)
    elif not any(p.name == name for p in list_prompts(engine, workload=None)):
        raise NotFound(f"no prompt named {name!r}; see `rungway prompts list`", code="prompt_not_found", param="name")
    return prompt_usage(engine, name, workload=workload, since=since, until=until, now=now)


def prompt_usage(
    engine: Engine,
    name: str,
    *,
    workload: str | None = None,
    since: str | None = "7d",
    until: str | None = None,
    now: float | None = None,
) -> PromptUsage:
    """Per-version usage of prompt `name`; InvalidRequest names a bad name, `since` or `until`."""
    _check_name(name)
    now = time.time() if now is None else now
    start = parse_time(since, now, "since")
    end = parse_time(until, now, "until") or now
    if start is not None and start >= end:
        raise InvalidRequest("since must be before until", param="since")
    pg = engine.dialect.name == "postgresql"
    quantiles = [func.percentile_disc(p).within_group(c.latency_ms) for p in PERCENTILES] if pg else []
    grouped = _window(select(c.prompt_version, *_sums(), *quantiles), name, workload, start, end)
    grouped = grouped.group_by(c.prompt_version).order_by(c.prompt_version.desc()).limit(MAX_VERSIONS)
    total_q = _window(select(literal(None), *_sums(), *quantiles), name, workload, start, end)
    with engine.connect() as conn:
        rows = [*conn.execute(grouped).all(), conn.execute(total_q).one()]
        sorted_ms = (
            {} if pg else _latencies(conn, _window(select(c.prompt_version, c.latency_ms), name, workload, start, end))
        )
    usages = [_usage(row, sorted_ms) for row in rows]
    versions, total = usages[:-1], usages[-1]
    return PromptUsage(name, workload, start, end, versions, total)


def _usage(row: Any, sorted_ms: dict[int | None, list[float]]) -> VersionUsage:
    """A row (version, sums..., [p50, p95] on PostgreSQL) as a VersionUsage; SQLite's percentiles from `sorted_ms`."""
    version = None if row[0] is None else int(row[0])
    calls, errors, tokens_in, tokens_out, cost = (int(v or 0) for v in row[1:6])
    if len(row) > 6:
        p50, p95 = (None if v is None else round(float(v), 3) for v in row[6:8])
    else:
        ordered = sorted_ms.get(version, [])
        p50, p95 = (_nearest_rank(ordered, p) for p in PERCENTILES)
    return VersionUsage(version, calls, errors, tokens_in, tokens_out, cost, p50, p95)


def usage_dict(usage: PromptUsage) -> dict[str, Any]:
    return {
        "name": usage.name,
        "workload": usage.workload,
        "since": usage.since,
        "until": usage.until,
        "versions": [v.as_dict() for v in usage.versions],
        "total": usage.total.as_dict(),
    }
