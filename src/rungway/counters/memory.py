"""In-process counters for a single gateway replica."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rungway.counters.base import (
    BudgetDenied,
    BudgetSettle,
    BudgetState,
    BudgetUse,
    Counters,
    Denied,
    WindowUse,
    retry_after,
    sliding_count,
)
from rungway.counters.registry import register_counters
from rungway.settings.config import CountersConfig


class MemoryCounters(Counters):
    """Counters in a dict; the event loop is single-threaded, so check-then-add is atomic."""

    name = "memory"

    def __init__(self) -> None:
        # key -> [window index, previous window count, current window count]
        self._windows: dict[str, list[float]] = {}
        # budget key -> [spent, reserved, expires at]; claim key -> expires at
        self._budgets: dict[str, list[float]] = {}
        self._claims: dict[str, float] = {}
        self._marks: dict[str, tuple[float, float]] = {}  # key -> (value, expires at)
        self._next_purge = 0.0

    def _window(self, key: str, window_s: int, now: float) -> tuple[list[float], float]:
        index = now // window_s
        state = self._windows.get(key)
        if state is None:
            state = [index, 0.0, 0.0]
            self._windows[key] = state
        elif state[0] != index:
            state[1] = state[2] if state[0] == index - 1 else 0.0
            state[2] = 0.0
            state[0] = index
        return state, (now - index * window_s) / window_s

    async def admit(
        self, windows: Sequence[WindowUse], budgets: Sequence[BudgetUse], now: float | None = None
    ) -> Denied | BudgetDenied | None:
        now = time.time() if now is None else now
        states = []
        for use in windows:
            state, fraction = self._window(use.key, use.window_s, now)
            count = sliding_count(state[1], state[2], fraction)
            if count + use.amount > use.limit:
                wait = retry_after(use.window_s, fraction * use.window_s, state[1], state[2], use.amount, use.limit)
                return Denied(use, count, wait)
            states.append(state)
        entries = []
        if budgets:
            wall = time.time()  # budget periods expire on the wall clock, like Redis TTLs; `now` is for windows
            self._purge(wall)
            for budget in budgets:
                entry = self._budget(budget.key, budget.ttl_s, wall, budget.seed)
                if budget.limit is not None and entry[0] + entry[1] + budget.amount > budget.limit:
                    return BudgetDenied(budget, int(entry[0]), int(entry[1]))
                entries.append(entry)
        for use, state in zip(windows, states, strict=True):
            state[2] += use.amount
        for budget, entry in zip(budgets, entries, strict=True):
            entry[1] += budget.amount
        return None

    async def finish(
        self, settles: Sequence[BudgetSettle], corrections: Sequence[WindowUse], now: float | None = None
    ) -> list[tuple[int, int]]:
        wall = time.time()
        out = []
        for item in settles:
            entry = self._budget(item.key, item.ttl_s, wall, item.seed)
            before = int(entry[0])
            entry[1] = max(0, entry[1] - item.reserved)
            entry[0] += item.actual
            out.append((before, int(entry[0])))
        for use in corrections:
            state, _ = self._window(use.key, use.window_s, wall if now is None else now)
            state[2] += use.amount
        return out

    async def acquire(self, uses: Sequence[WindowUse], now: float | None = None) -> Denied | None:
        denied = await self.admit(uses, (), now)
        return denied if isinstance(denied, Denied) else None

    async def add(self, key: str, window_s: int, amount: int, now: float | None = None) -> None:
        state, _ = self._window(key, window_s, time.time() if now is None else now)
        state[2] += amount

    async def add_many(self, uses: Sequence[WindowUse], now: float | None = None) -> None:
        await self.finish((), uses, now)

    async def current(self, key: str, window_s: int, now: float | None = None) -> float:
        state, fraction = self._window(key, window_s, time.time() if now is None else now)
        return sliding_count(state[1], state[2], fraction)

    def _budget(self, key: str, ttl_s: int, now: float, seed: int = 0) -> list[float]:
        entry = self._budgets.get(key)
        if entry is None or entry[2] <= now:
            entry = [seed, 0, now + ttl_s]
            self._budgets[key] = entry
        elif now + ttl_s > entry[2]:
            entry[2] = now + ttl_s
        return entry

    def _purge(self, now: float) -> None:
        """Forget budget periods and claims that are over (like Redis key expiry)."""
        if now < self._next_purge:
            return
        self._next_purge = now + 60
        self._budgets = {k: v for k, v in self._budgets.items() if v[2] > now}
        self._claims = {k: v for k, v in self._claims.items() if v > now}
        self._marks = {k: v for k, v in self._marks.items() if v[1] > now}

    async def budget_state(self, keys: Sequence[str]) -> list[BudgetState]:
        now = time.time()
        states = []
        for key in keys:
            entry = self._budgets.get(key)
            live = entry is not None and entry[2] > now
            states.append(BudgetState(int(entry[0]), int(entry[1])) if live and entry else BudgetState(0, 0))
        return states

    async def seed_budget(self, key: str, spent: int, ttl_s: int) -> bool:
        now = time.time()
        existing = self._budgets.get(key)
        if existing is not None and existing[2] > now:
            return False
        self._budgets[key] = [spent, 0, now + ttl_s]
        return True

    async def reconcile_budget(self, key: str, logged: int, release: int, ttl_s: int) -> BudgetState:
        entry = self._budget(key, ttl_s, time.time())
        entry[0] = max(entry[0], logged)
        entry[1] = max(0, entry[1] - release)
        return BudgetState(int(entry[0]), int(entry[1]))

    async def claim_once(self, key: str, ttl_s: int) -> bool:
        now = time.time()
        if self._claims.get(key, 0.0) > now:
            return False
        self._claims[key] = now + ttl_s
        return True

    async def raise_marks(self, marks: Sequence[tuple[str, float]], ttl_s: int) -> None:
        now = time.time()
        for key, value in marks:
            held = self._marks.get(key)
            if held is None or held[1] <= now or held[0] < value:
                self._marks[key] = (value, now + max(1, ttl_s))

    async def read_marks(self, keys: Sequence[str]) -> list[float | None]:
        now = time.time()
        found = [self._marks.get(key) for key in keys]
        return [held[0] if held is not None and held[1] > now else None for held in found]

    async def close(self) -> None:
        self._marks.clear()
        self._windows.clear()
        self._budgets.clear()
        self._claims.clear()


@register_counters("memory")
def create_memory_counters(_config: CountersConfig) -> MemoryCounters:
    return MemoryCounters()
