"""/ui/cache: savings next to spend, the cache's state, the semantic hit checks, and a form to clear a workload.

Reads go through the functions `/api/cache` uses (`savings`, `cache_stats`, `hit_checks`) and the clear does what
`DELETE /api/cache/entries` does (`delete_namespace`, then the runtime's `forget_workload`), with the same scope
(`caching.api.workload_of`): a key sees and clears its own workload (asking for another is a 404 page); the
server's admin key sees every workload, or one with `?workload=`, and clears the one it names. Clearing takes the
developer role, as on the API; the guard checks the role and the CSRF token before the handler runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from rungway.api.registry import QueryParam
from rungway.caching.api import workload_of
from rungway.caching.config import CACHE_SECTION
from rungway.caching.model import HitCheck
from rungway.caching.pages import pages
from rungway.caching.savings import SAVINGS_BY, SavingsReport, SavingsRow, savings
from rungway.caching.stats import CHECK_WINDOW_S, CacheStats, WorkloadCacheStats, cache_stats
from rungway.caching.store import delete_namespace, hit_checks
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest
from rungway.gateway.routes import STATE
from rungway.web.render import current_session, redirect, render

__all__ = [
    "CACHE_PAGE",
    "CHECKS_SHOWN",
    "SINCE",
    "ClearNotice",
    "SavingsLine",
    "WorkloadChecks",
    "clear_target",
    "savings_lines",
]

CACHE_PAGE = "/ui/cache"
SINCE = ("7d", "30d", "90d")
CHECKS_SHOWN = 20
"""The latest semantic hit checks listed per workload (the precision counts every check of the window)."""
_WORKLOAD_MAX = 64
_PARAMS = [
    QueryParam("by", "group the savings by workload or model", enum=SAVINGS_BY),
    QueryParam("since", "the savings window: the last 7, 30 or 90 days", enum=SINCE),
    QueryParam("workload", "whose cache (the admin key; others see their own)", max_length=_WORKLOAD_MAX),
    QueryParam("cleared", "stored answers the clear just deleted (the notice after it)", type="integer", minimum=0),
    QueryParam("forgotten", "answers the clear dropped from this server's memory", type="integer", minimum=0),
]


@dataclass(frozen=True, slots=True)
class SavingsLine:
    """One line of the savings table: a workload's (or model's) row, or the total under them."""

    label: str
    row: SavingsRow
    total: bool = False


@dataclass(frozen=True, slots=True)
class ClearNotice:
    """What the clear the page is back from did: stored answers deleted, answers dropped from this server's memory."""

    workload: str | None
    deleted: int
    forgotten: int


@dataclass(frozen=True, slots=True)
class WorkloadChecks:
    """A workload with a semantic layer (or checks): its precision over the window and its latest checks."""

    stats: WorkloadCacheStats
    checks: list[HitCheck]


def savings_lines(report: SavingsReport) -> list[SavingsLine]:
    """The report's rows as the table shows them, then their total (no lines when nothing was called)."""
    if not report.rows:
        return []
    lines = [SavingsLine(row.key if row.key is not None else "(none)", row) for row in report.rows]
    return [*lines, SavingsLine("Total", report.total, total=True)]


def clear_target(form: Mapping[str, Any], workload_of_caller: Callable[[str | None], str | None]) -> str:
    """The workload a clear form names, checked: only `workload` (and the CSRF token) may be sent, as text of at
    most 64 characters; `workload_of_caller` maps it to the caller's scope (a key's own, 404 for another)."""
    unknown = sorted(set(form.keys()) - {"workload", "csrf_token"})
    if unknown:
        raise InvalidRequest(f"unknown field {unknown[0]!r}", param=unknown[0])
    asked = form.get("workload", "")
    if not isinstance(asked, str) or len(asked) > _WORKLOAD_MAX:
        raise InvalidRequest(f"workload must be text of at most {_WORKLOAD_MAX} characters", param="workload")
    workload = workload_of_caller(asked.strip() or None)
    if workload is None:
        raise InvalidRequest("name the workload whose cached answers to clear", param="workload")
    return workload


@pages.page(CACHE_PAGE, title="Cache", nav="Cache", order=32, params=_PARAMS)
async def cache_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    asked = request.query.get("workload") or None
    workload = workload_of(caller, asked)
    admin = caller.key_id is None  # the server's admin key, as on /api/cache: every workload and the memory tier
    by, since = request.query.get("by") or "workload", request.query.get("since") or "30d"
    state = request.app[STATE]
    from rungway.caching.runtime import CACHE  # not at the top: the runtime imports numpy (see install.py)

    runtime = state.slots.get(CACHE)
    config = state.config.section(CACHE_SECTION)
    scope = None if workload is None else [workload]

    def read() -> tuple[SavingsReport, CacheStats, list[WorkloadChecks]]:
        now = time.time()
        report = savings(state.engine, state.config.prices, by, since, None, scope, now)
        stats = cache_stats(state.engine, config, scope, now, runtime.memory if runtime is not None else None)
        checks = [
            WorkloadChecks(w, hit_checks(state.engine, w.workload, now - CHECK_WINDOW_S, CHECKS_SHOWN))
            for w in stats.workloads
            if w.semantic or w.checked
        ]
        return report, stats, checks

    report, stats, checks = await asyncio.to_thread(read)
    cleared = request.query.get("cleared")
    notice = None
    if cleared is not None:  # back from a clear: what it deleted and forgot
        notice = ClearNotice(workload, int(cleared), int(request.query.get("forgotten") or 0))
    return render(request, "caching/cache.html", title="Cache", report=report, lines=savings_lines(report),
                  workloads=stats.workloads, memory=stats.memory if admin else None, checks=checks,
                  by_options=[(b, b) for b in SAVINGS_BY],
                  since_options=[(s, f"{s[:-1]} days") for s in SINCE],
                  query={"workload": asked or "", "by": by, "since": since},
                  fixed_workload=None if admin else caller.workload, admin=admin,
                  can_clear=caller.role.allows(Role.DEVELOPER),
                  notice=notice)  # fmt: skip


@pages.page(f"{CACHE_PAGE}/clear", title="Clear cached answers", method="POST", role=Role.DEVELOPER)
async def clear_form(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    workload = clear_target(await request.post(), lambda asked: workload_of(caller, asked))
    state = request.app[STATE]
    deleted = await asyncio.to_thread(delete_namespace, state.engine, workload)
    from rungway.caching.runtime import CACHE  # not at the top: the runtime imports numpy (see install.py)

    runtime = state.slots.get(CACHE)
    forgotten = runtime.forget_workload(workload) if runtime is not None else 0
    return redirect(f"{CACHE_PAGE}?{urlencode({'workload': workload, 'cleared': deleted, 'forgotten': forgotten})}")
