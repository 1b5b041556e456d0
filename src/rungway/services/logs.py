"""Reading the request log and rolling it up into usage: behind `rungway logs|usage` and `/api/logs|usage`.

Filters arrive as text (`since=7d`, `status=429`) from the CLI and from query strings; they are
checked here once, so both front ends give the same answers and the same error messages.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from rungway.domain.pricing import NANO_PER_USD, usd
from rungway.domain.timespec import TimeSpecError, parse_instant
from rungway.errors import InvalidRequest
from rungway.store.requests import USAGE_DIMENSIONS, RequestFilter, query_requests, usage_by

__all__ = [
    "MAX_PAGE",
    "PROMPT_FILTER_HELP",
    "PROMPT_FILTER_PATTERN",
    "USAGE_BY",
    "LogPage",
    "UsageRow",
    "build_filter",
    "new_rows",
    "parse_prompt_filter",
    "parse_time",
    "search_logs",
    "total_of",
    "usage_report",
]

MAX_PAGE = 1000
USAGE_BY = ("workload", "user", "model", "provider", "provider_account", "team", "key", "status")
_USAGE_ALL = tuple(dict.fromkeys([*USAGE_BY, *USAGE_DIMENSIONS]))
# A prompt name as the prompts capability allows it (`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`), then `@VERSION`.
PROMPT_FILTER_PATTERN = r"^([A-Za-z0-9][A-Za-z0-9._-]{0,127})(?:@([1-9][0-9]{0,8}))?$"
_PROMPT_FILTER = re.compile(PROMPT_FILTER_PATTERN)
PROMPT_FILTER_HELP = "a registry prompt's name (NAME) or one of its versions (NAME@VERSION)"


def parse_time(value: str | None, now: float, param: str) -> float | None:
    """`7d`, an ISO date/time or epoch seconds; None when not given."""
    if value is None or value == "":
        return None
    try:
        return parse_instant(value, now)
    except TimeSpecError as exc:
        raise InvalidRequest(f"{param}: {exc}", param=param) from None


def _int(value: str | int | None, param: str, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise InvalidRequest(f"{param} must be a whole number, got {value!r}", param=param) from None
    if not low <= number <= high:
        raise InvalidRequest(f"{param} must be between {low} and {high}, got {number}", param=param)
    return number


def _number(value: str | float | None, param: str, high: float) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise InvalidRequest(f"{param} must be a number, got {value!r}", param=param) from None
    if not 0 <= number <= high:  # also refuses nan and inf
        raise InvalidRequest(f"{param} must be between 0 and {high:g}, got {value!r}", param=param)
    return number


def parse_prompt_filter(value: str | None, param: str = "prompt") -> tuple[str | None, int | None]:
    """`NAME` or `NAME@VERSION` as (name, version); (None, None) when not given."""
    if value is None or value == "":
        return None, None
    match = _PROMPT_FILTER.fullmatch(value)
    if match is None:
        raise InvalidRequest(
            f"{param} must be {PROMPT_FILTER_HELP}, e.g. support-answer or support-answer@3; got {value[:140]!r}",
            param=param,
        )
    name, version = match.groups()
    return name, int(version) if version is not None else None


def build_filter(
    *,
    now: float,
    workload: str | None = None,
    user: str | None = None,
    model: str | None = None,
    status: str | int | None = None,
    errors: bool = False,
    since: str | None = None,
    until: str | None = None,
    limit: str | int | None = None,
    cursor: str | None = None,
    min_cost: str | float | None = None,
    min_latency_ms: str | float | None = None,
    prompt: str | None = None,
    deployment: str | None = None,
) -> RequestFilter:
    """A store filter from text inputs; InvalidRequest names the bad one."""
    cost = _number(min_cost, "min_cost", 1e9)
    prompt_name, prompt_version = parse_prompt_filter(prompt)
    return RequestFilter(
        workload=workload or None,
        user=user or None,
        model=model or None,
        status=_int(status, "status", 100, 599),
        errors_only=errors,
        since=parse_time(since, now, "since"),
        until=parse_time(until, now, "until"),
        limit=_int(limit, "limit", 1, MAX_PAGE) or 100,
        before_id=cursor or None,
        min_cost_nano=None if cost is None else round(cost * NANO_PER_USD),
        min_latency_ms=_number(min_latency_ms, "min_latency_ms", 1e12),
        prompt_name=prompt_name,
        prompt_version=prompt_version,
        deployment=deployment or None,
    )


@dataclass(frozen=True, slots=True)
class LogPage:
    """Newest rows first; `next_cursor` fetches the page after (None on the last page)."""

    rows: list[dict[str, Any]]
    next_cursor: str | None


def _with_cost(raw: dict[str, Any]) -> dict[str, Any]:
    # Column names arrive as SQLAlchemy's str subclass, which orjson will not take as keys.
    row = {str(k): v for k, v in raw.items()}
    row["cost_usd"] = usd(int(row.get("cost_nano") or 0))
    row["user"] = row.pop("user_id", None)
    return row


def search_logs(engine: Engine, f: RequestFilter) -> LogPage:
    rows = [_with_cost(r) for r in query_requests(engine, f)]
    return LogPage(rows, rows[-1]["id"] if len(rows) == f.limit else None)


def new_rows(engine: Engine, f: RequestFilter, seen: set[str], after: float | None) -> list[dict[str, Any]]:
    """Rows not in `seen` that started after `after` (minus a few seconds for late commits), oldest first."""
    since = f.since if after is None else max(f.since or 0.0, after - 5.0)
    window = dataclasses.replace(f, since=since, before_id=None, limit=f.limit if after is None else MAX_PAGE)
    fresh = [_with_cost(r) for r in query_requests(engine, window) if r["id"] not in seen]
    fresh.reverse()
    return fresh


@dataclass(frozen=True, slots=True)
class UsageRow:
    """Totals for one value of the grouping dimension (e.g. one workload)."""

    key: str | None
    requests: int
    errors: int
    tokens_in: int
    tokens_out: int
    tokens_cached: int
    cost_nano: int
    avg_latency_ms: float | None

    @property
    def cost_usd(self) -> float:
        return usd(self.cost_nano)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "requests": self.requests,
            "errors": self.errors,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "tokens_cached": self.tokens_cached,
            "cost_nano": self.cost_nano,
            "cost_usd": self.cost_usd,
            "avg_latency_ms": self.avg_latency_ms,
        }


def usage_report(
    engine: Engine, by: str, since: float | None, until: float | None = None, workload: str | None = None
) -> list[UsageRow]:
    """Requests, errors, tokens, cost and mean latency per `by` value, costliest first."""
    if by not in _USAGE_ALL:
        raise InvalidRequest(f"cannot group usage by {by!r}; use one of {', '.join(_USAGE_ALL)}", param="by")
    return [_usage_row(r) for r in usage_by(engine, by, since, until, workload)]


def _usage_row(r: dict[str, Any]) -> UsageRow:
    avg = r.get("avg_latency_ms")
    return UsageRow(
        key=None if r["key"] is None else str(r["key"]),
        requests=int(r["requests"]),
        errors=int(r["errors"]),
        tokens_in=int(r["tokens_in"]),
        tokens_out=int(r["tokens_out"]),
        tokens_cached=int(r["tokens_cached"]),
        cost_nano=int(r["cost_nano"]),
        avg_latency_ms=None if avg is None else float(avg),
    )


def total_of(rows: Iterable[UsageRow]) -> UsageRow:
    """The sum of a report's rows (mean latency weighted by requests)."""
    rows = list(rows)
    count = sum(r.requests for r in rows)
    weighted = sum((r.avg_latency_ms or 0.0) * r.requests for r in rows)
    return UsageRow(
        key="total",
        requests=count,
        errors=sum(r.errors for r in rows),
        tokens_in=sum(r.tokens_in for r in rows),
        tokens_out=sum(r.tokens_out for r in rows),
        tokens_cached=sum(r.tokens_cached for r in rows),
        cost_nano=sum(r.cost_nano for r in rows),
        avg_latency_ms=weighted / count if count else None,
    )
