"""In-process counters for a single gateway replica."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rungway.counters.base import Denied, WindowUse, retry_after, sliding_count
from rungway.counters.registry import register_counters
from rungway.settings.config import CountersConfig


class MemoryCounters:
    """Counters in a dict; the event loop is single-threaded, so check-then-add is atomic."""

    name = "memory"

    def __init__(self) -> None:
        # key -> [window index, previous window count, current window count]
        self._windows: dict[str, list[float]] = {}

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

    async def acquire(self, uses: Sequence[WindowUse], now: float | None = None) -> Denied | None:
        now = time.time() if now is None else now
        states = []
        for use in uses:
            state, fraction = self._window(use.key, use.window_s, now)
            count = sliding_count(state[1], state[2], fraction)
            if count + use.amount > use.limit:
                wait = retry_after(use.window_s, fraction * use.window_s, state[1], state[2], use.amount, use.limit)
                return Denied(use, count, wait)
            states.append(state)
        for use, state in zip(uses, states, strict=True):
            state[2] += use.amount
        return None

    async def add(self, key: str, window_s: int, amount: int, now: float | None = None) -> None:
        state, _ = self._window(key, window_s, time.time() if now is None else now)
        state[2] += amount

    async def current(self, key: str, window_s: int, now: float | None = None) -> float:
        state, fraction = self._window(key, window_s, time.time() if now is None else now)
        return sliding_count(state[1], state[2], fraction)

    async def close(self) -> None:
        self._windows.clear()


@register_counters("memory")
def create_memory_counters(_config: CountersConfig) -> MemoryCounters:
    return MemoryCounters()
