"""The budgets a gateway enforces, held in memory and refreshed from the store in the background.

The request path asks `cover(...)` and never waits on the database; what a call's holds need
(the covering budgets, their periods, hard limits, threshold marks, counter TTL) is computed once
per (workload, user, team, key) and reused until a period ends or the budgets change. Before a budget (or a
new period of one) is enforced, its counter is seeded from the request log, so a restarted
replica remembers the period's spend; with Redis the seed is skipped when another replica has
the counter already (the counter also holds settled calls the log has not received yet).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from rungway.budgets.alerts import BudgetAlerts
from rungway.budgets.model import MAX_SPEND_NANO, Budget, BudgetScope, counter_ttl_s, period_bounds
from rungway.budgets.store import list_budgets, spend_by_user_in_log, spend_in_log, threshold_recorded
from rungway.counters.base import Counters
from rungway.errors import ConfigError
from rungway.settings.config import Config
from rungway.settings.sections import ConfigMapping, ConfigSection, tracked

log = logging.getLogger("rungway.budgets")
COVER_CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class BudgetSettings:
    """The `budgets:` section of rungway.yaml."""

    default_max_tokens: int = 4096
    refresh_s: float = 1.0
    reconcile_s: float = 60.0

    @classmethod
    def from_config(cls, config: Config) -> BudgetSettings:
        return config.section(BUDGETS_SECTION)

    @classmethod
    def parse(cls, section: object, source: str) -> BudgetSettings:
        raw = tracked({} if section is None else section, "budgets", source)
        if not isinstance(raw, ConfigMapping):
            raise ConfigError(f"{source}: budgets: expected a mapping. Fix: indent `refresh_ms:` under it")
        values = {}
        for key, default in (("default_max_tokens", 4096), ("refresh_ms", 1000), ("reconcile_ms", 60_000)):
            value = raw.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
                problem = f"expected a whole number from 1 to 2147483647, got {value!r}"
                raise raw.error(f"budgets.{key}", problem, f"write e.g. {default}")
            values[key] = value
        raw.reject_unknown_keys()
        return cls(values["default_max_tokens"], values["refresh_ms"] / 1000, values["reconcile_ms"] / 1000)


BUDGETS_SECTION = ConfigSection("budgets", BudgetSettings.parse)
"""`budgets:` in rungway.yaml."""


@dataclass(frozen=True, slots=True)
class Period:
    """One budget's current period and the counter that holds its spend."""

    start: float
    end: float
    key: str

    def ttl_s(self, now: float) -> int:
        return counter_ttl_s(self.end, now)


@dataclass(frozen=True, slots=True)
class Cover:
    """The active budgets covering one (workload, user, team, key), with what holding and settling need."""

    covered: tuple[tuple[Budget, Period], ...]
    holds: tuple[tuple[str, int | None], ...]  # per budget: (counter key, hard limit or None for a soft budget)
    marks: tuple[tuple[tuple[int, int], ...], ...]  # per budget: (percent, nano-dollars) per soft threshold
    mark_span: tuple[tuple[int, int], ...]  # per budget: (lowest, highest) mark, to skip most calls quickly
    ttl_s: int  # long enough for every covered period's counter


class BudgetBook:
    """Budgets indexed by what they cover; periods cached until they end; counters seeded before use and
    reconciled with the request log every `reconcile_s` (and at the next refresh after a lost settle)."""

    def __init__(
        self,
        engine: Engine,
        counters: Counters,
        alerts: BudgetAlerts,
        refresh_s: float = 1.0,
        on_error: Callable[[str], None] | None = None,
        reconcile_s: float = 60.0,
        settles_pending: Callable[[], int] = lambda: 0,
    ) -> None:
        self._engine = engine
        self._counters = counters
        self._alerts = alerts
        self._refresh_s = refresh_s
        self._on_error = on_error or (lambda _outcome: None)
        self._reconcile_s = reconcile_s
        self._settles_pending = settles_pending
        self._next_reconcile = time.monotonic() + reconcile_s
        self._lost_holds: dict[str, int] = {}  # counter key -> holds whose settle was given up, to release
        self._reconcile_soon = False
        self.reconciliations = 0  # completed reconciliation rounds (tests and logs wait on it)
        self._index: dict[tuple[str, ...], list[Budget]] = {}
        self._periods: dict[str, Period] = {}
        # (workload, user, team, key id) -> (cover or None, valid from, valid until)
        self._covers: dict[tuple[str | None, ...], tuple[Cover | None, float, float]] = {}
        self._seeded: set[str] = set()
        # counter key -> the highest spend this replica knows for that period (request log or counter),
        # carried by each hold as the seed for a counter Redis lost
        self._known: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self.budgets: list[Budget] = []

    def cover(
        self, workload: str | None, user: str | None, team: str | None, key_id: str | None, now: float
    ) -> Cover | None:
        """The active budgets that cover a call (None for none), cached; no I/O."""
        if not self._index:
            return None
        cache_key = (workload, user, team, key_id)
        cached = self._covers.get(cache_key)
        if cached is not None and cached[1] <= now < cached[2]:
            return cached[0]
        if len(self._covers) >= COVER_CACHE_SIZE:
            self._covers = {}
        since, until = float("-inf"), float("inf")
        covered: list[tuple[Budget, Period]] = []
        for index_key in (
            ("workload", workload or ""),
            ("user", workload or "", user or ""),
            ("each_user", workload or "" if user else ""),
            ("team", team or ""),
            ("key", key_id or ""),
        ):
            for budget in self._index.get(index_key, ()):
                if budget.active(now):
                    period = self.period(budget, now)
                    if budget.each_user and user is not None:  # a default per-user budget: this user's counter
                        budget = budget.bound(user)
                        period = Period(period.start, period.end, budget.counter_key(period.start))
                    covered.append((budget, period))
                    since, until = max(since, period.start), min(until, period.end)
                elif budget.starts_at is not None and now < budget.starts_at:
                    until = min(until, budget.starts_at)  # a fixed window that has not started yet
                else:
                    since = max(since, budget.ends_at or since)  # one that is over (unless the clock goes back)
        cover = None
        if covered:
            marks = tuple(tuple(b.threshold_marks()) for b, _ in covered)
            cover = Cover(
                tuple(covered),
                tuple((p.key, b.amount_nano if b.hard else None) for b, p in covered),
                marks,
                tuple((min(m[1] for m in ms), max(m[1] for m in ms)) if ms else (1, 0) for ms in marks),
                max(p.ttl_s(now) for _, p in covered),
            )
        self._covers[cache_key] = (cover, since, until)
        return cover

    def known_spend(self, counter_key: str) -> int:
        """The spend a missing counter is re-created with (see `BudgetUse.seed`); no I/O."""
        return self._known.get(counter_key, 0)

    def saw_spend(self, counter_key: str, spent: int) -> None:
        """Remember a spend read from the counter or the request log, if it is the highest known."""
        if spent > self._known.get(counter_key, 0):
            self._known[counter_key] = min(spent, MAX_SPEND_NANO)

    def settle_lost(self, counter_key: str, held: int) -> None:
        """A call's settle was given up (the backend stayed down): release its hold and recover its spend
        from the request log at the next refresh."""
        self._lost_holds[counter_key] = self._lost_holds.get(counter_key, 0) + held
        self._reconcile_soon = True

    async def reconcile(self) -> bool:
        """Make each active budget's counter agree with the request log: spend raised to the log's (it is
        never lowered: the counter also holds settles the log has not received yet) and lost holds released.
        False (and nothing done for the rest) while settles are still retried or when the counters fail."""
        if self._settles_pending():
            return False
        now = time.time()
        current: set[str] = set()
        for budget in self.budgets:
            if not budget.active(now):
                continue
            period = self.period(budget, now)
            for key, logged in await self._logged_spend(budget, period):
                current.add(key)
                release = self._lost_holds.pop(key, 0)
                try:
                    state = await self._counters.reconcile_budget(key, logged, release, period.ttl_s(now))
                except Exception as exc:  # noqa: BLE001 - retried at the next refresh; the request path decides
                    self._lost_holds[key] = self._lost_holds.get(key, 0) + release
                    self._on_error("reconcile_failed")
                    log.warning("could not reconcile budget %s with the request log: %s", budget.name, exc)
                    return False
                self.saw_spend(key, max(logged, state.spent))
        # Periods that ended take their lost holds and known spend with them.
        self._lost_holds = {k: v for k, v in self._lost_holds.items() if k in current}
        self._known = {k: v for k, v in self._known.items() if k in current}
        self._reconcile_soon = False
        self.reconciliations += 1
        return True

    async def _logged_spend(self, budget: Budget, period: Period) -> list[tuple[str, int]]:
        """(counter key, spend in the request log) of a budget's period: one per user for a default per-user
        budget (users with spend, and users whose lost holds wait to be released)."""
        if not budget.each_user:
            return [(period.key, await asyncio.to_thread(spend_in_log, self._engine, budget, period.start, period.end))]
        by_user = await asyncio.to_thread(spend_by_user_in_log, self._engine, budget, period.start, period.end)
        keys = {budget.bound(user).counter_key(period.start): spent for user, spent in by_user.items()}
        prefix = budget.bound("").counter_key(period.start)
        for key in self._lost_holds:
            if key.startswith(prefix):
                keys.setdefault(key, 0)
        return sorted(keys.items())

    async def _reconcile_when_due(self) -> None:
        if not self._reconcile_soon and time.monotonic() < self._next_reconcile:
            return
        if await self.reconcile():
            self._next_reconcile = time.monotonic() + self._reconcile_s
        else:
            self._reconcile_soon = True  # try again at the next refresh, e.g. once the backend is back

    def period(self, budget: Budget, now: float) -> Period:
        cached = self._periods.get(budget.id)
        if cached is not None and cached.start <= now < cached.end:
            return cached
        start, end = period_bounds(budget, now)
        period = Period(start, end, budget.counter_key(start))
        self._periods[budget.id] = period
        return period

    async def start(self) -> None:
        """Load and seed every budget (before the server accepts calls), then refresh in the background."""
        await self.refresh()
        self._task = asyncio.get_running_loop().create_task(self._refresh_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def refresh(self) -> None:
        """Reload budgets, seed counters of new budgets and new periods, then publish the new index."""
        budgets = await asyncio.to_thread(list_budgets, self._engine)
        now = time.time()
        for budget in budgets:
            if budget.active(now):
                await self._seed(budget, now)
        index: dict[tuple[str, ...], list[Budget]] = {}
        for b in budgets:
            if b.each_user:
                if b.workload:
                    index.setdefault(("each_user", b.workload), []).append(b)
            elif b.scope is BudgetScope.USER:
                index.setdefault(("user", b.workload or "", b.user or ""), []).append(b)
            else:
                target = {"workload": b.workload, "team": b.team, "key": b.key_id}[b.scope.value]
                index.setdefault((b.scope.value, target or ""), []).append(b)
        if {(b.id, b.updated_at) for b in budgets} != {(b.id, b.updated_at) for b in self.budgets}:
            self._periods = {}
            self._covers = {}
        self.budgets, self._index = budgets, index

    async def _seed(self, budget: Budget, now: float) -> None:
        period = self.period(budget, now)
        seed_id = f"{period.key}:{budget.updated_at}"
        if seed_id in self._seeded:
            return
        if budget.each_user:
            await self._seed_each_user(budget, period, now, seed_id)
            return
        spent = await asyncio.to_thread(spend_in_log, self._engine, budget, period.start, period.end)
        try:
            await self._counters.seed_budget(period.key, spent, period.ttl_s(now))
            state = (await self._counters.budget_state([period.key]))[0]
        except Exception as exc:  # noqa: BLE001 - retried at the next refresh; the request path decides open/closed
            self._on_error("seed_failed")
            log.warning("could not seed budget %s from the request log: %s", budget.name, exc)
            return
        self._seeded.add(seed_id)
        self.saw_spend(period.key, max(spent, state.spent))
        passed = [p for p, mark in budget.threshold_marks() if mark <= state.spent]
        unsent = [p for p in passed if not await asyncio.to_thread(self._was_sent, budget, period.start, p)]
        if unsent:
            await self._alerts.crossed(budget, unsent, state.spent, (period.start, period.end))

    async def _seed_each_user(self, budget: Budget, period: Period, now: float, seed_id: str) -> None:
        """Seed one counter per user with spend this period (a user with none starts from zero)."""
        spent = await asyncio.to_thread(spend_by_user_in_log, self._engine, budget, period.start, period.end)
        try:
            for user, amount in spent.items():
                key = budget.bound(user).counter_key(period.start)
                await self._counters.seed_budget(key, amount, period.ttl_s(now))
                self.saw_spend(key, amount)
        except Exception as exc:  # noqa: BLE001 - retried at the next refresh; the request path decides open/closed
            self._on_error("seed_failed")
            log.warning("could not seed default per-user budget %s from the request log: %s", budget.name, exc)
            return
        self._seeded.add(seed_id)

    def _was_sent(self, budget: Budget, period_start: float, threshold: int) -> bool:
        return threshold_recorded(self._engine, budget.id, period_start, threshold)

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_s)
            try:
                await self.refresh()
                await self._reconcile_when_due()
            except Exception:
                log.exception("could not refresh budgets; enforcing the ones already loaded")
