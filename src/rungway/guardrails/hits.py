"""Recent guardrail hits of a workload, counted by rule, direction and action from the request log.

The gateway writes each call's hits to the core's `requests.guardrails` column (`direction:rule:action,...`,
never a value); this reads the calls of a window that have any, newest first and at most `MAX_CALLS`, and
counts them. Shared by the dashboard page; a pure function over the store.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Engine, select

from rungway.store.schema import requests

__all__ = ["MAX_CALLS", "HitCount", "HitSummary", "recent_hits"]

MAX_CALLS = 10_000


@dataclass(frozen=True, slots=True)
class HitCount:
    direction: str
    rule: str
    action: str
    calls: int


@dataclass(frozen=True, slots=True)
class HitSummary:
    counts: list[HitCount]
    calls_with_hits: int
    capped: bool  # more calls had hits than were read


def recent_hits(engine: Engine, workload: str | None, since: float) -> HitSummary:
    """Counts of calls per (direction, rule, action) since `since`, for one workload (None: every workload)."""
    r = requests.c
    query = select(r.guardrails).where(r.guardrails.is_not(None), r.ts_start >= since)
    if workload is not None:
        query = query.where(r.workload == workload)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(r.ts_start.desc()).limit(MAX_CALLS + 1)).scalars().all()
    counted: Counter[tuple[str, str, str]] = Counter()
    for text in rows[:MAX_CALLS]:
        for entry in text.split(","):
            parts = entry.split(":")
            if len(parts) == 3:
                counted[(parts[0], parts[1], parts[2])] += 1
    counts = [HitCount(d, rule, a, n) for (d, rule, a), n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))]
    return HitSummary(counts, min(len(rows), MAX_CALLS), len(rows) > MAX_CALLS)
