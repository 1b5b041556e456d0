"""Seeding daily spend into a real store's request log, for the forecasts' tests."""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Sequence

from sqlalchemy import Engine

from rungway.budgets.service import BudgetRequest, set_budget
from rungway.capability import migration_packages
from rungway.domain.pricing import NANO_PER_USD
from rungway.domain.records import RequestRecord
from rungway.domain.timespec import DAY
from rungway.domain.workloads import Workload
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.requests import insert_requests
from rungway.store.workloads import upsert_workload

WEEKDAY_USD = 10.0


def daily_usd(day: int, weekday_usd: float = WEEKDAY_USD, growth: float = 0.0) -> float:
    """A weekly pattern (weekends at 40%) with a trend; `day` is days since the epoch (0 was a Thursday)."""
    weekend = (day + 3) % 7 >= 5
    return weekday_usd * (1 + growth) ** (day % 1000) * (0.4 if weekend else 1.0)


def seed_spend(
    engine: Engine,
    workload: str,
    days: int,
    *,
    weekday_usd: float = WEEKDAY_USD,
    team: str | None = "qa",
    models: Sequence[str] = ("gpt-4o-mini",),
    users: Sequence[str | None] = (None,),
    key_id: str | None = None,
    now: float | None = None,
    today: bool = True,
    noise: float = 0.0,
) -> float:
    """A call per model and user on each of the `days` complete days before today (and today, so far), split
    evenly, the day's spend off the weekly pattern by up to `noise` (a share); returns the USD seeded over the
    complete days."""
    now = time.time() if now is None else now
    first = math.floor(now / DAY) - days
    records, total = [], 0.0
    for day in range(first, math.floor(now / DAY) + (1 if today else 0)):
        usd = daily_usd(day, weekday_usd) * (1 + noise * math.sin(day * 2.3))  # reproducible wobble
        share = usd / (len(models) * len(users))
        at = min(day * DAY + 3_600, now - 60)
        for model in models:
            for user in users:
                records.append(RequestRecord(id=f"req_{secrets.token_hex(10)}", ts_start=at, ts_end=at + 1,
                                             workload=workload, key_id=key_id, user=user, team=team,
                                             model_requested=model, cost_nano=round(share * NANO_PER_USD),
                                             priced=True))  # fmt: skip
        if day < math.floor(now / DAY):
            total += usd
    insert_requests(engine, records)
    return total


def workload_budget(engine: Engine, name: str, workload: str, amount_usd: str, period: str = "monthly") -> None:
    set_budget(engine, BudgetRequest(name=name, scope="workload", amount_usd=amount_usd, workload=workload,
                                     period=period))  # fmt: skip


def open_store(url: str) -> Engine:
    """A migrated store (every capability's branch, the forecasts' included) with workloads `test` (team qa)
    and `other` (team ops)."""
    engine = create_store_engine(url)
    upgrade(engine, migration_packages())
    upsert_workload(engine, Workload(name="test", team="qa"))
    upsert_workload(engine, Workload(name="other", team="ops"))
    return engine
