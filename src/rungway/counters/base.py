"""The counters interface: atomic check-and-add over sliding windows, and budget reservations.

A gateway call asks for several limits at once (key RPM, key TPM, workload RPM, ...). `acquire`
checks them all and adds to all of them only if every one has room, atomically, so concurrent
calls (and several gateway replicas, with Redis) cannot overshoot together.

Budgets work the same way with money: `reserve` holds a call's maximum cost on every budget
that covers it, all or nothing, refusing when `spent + reserved + amount` would pass a hard
limit; `settle` releases the hold and adds the real cost. A budget counter is a pair
(spent, reserved) of integer nano-dollars under a key that names the budget and its period.

The gateway uses the two combined operations, one round trip each on a remote backend:
`admit` before a call (rate limits and budget holds together, all or nothing across both) and
`finish` after it (budget settles and token-count corrections together).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "BudgetDenied",
    "BudgetSettle",
    "BudgetState",
    "BudgetUse",
    "Counters",
    "Denied",
    "WindowUse",
    "retry_after",
    "sliding_count",
]

# WindowUse, BudgetUse and BudgetSettle are built several times per gateway call: they are plain slotted
# dataclasses (a frozen one costs ~5x as much to build) and are never changed once built.


@dataclass(slots=True)
class WindowUse:
    """Add `amount` to counter `key` whose limit is `limit` per `window_s` seconds."""

    key: str
    limit: int
    window_s: int
    amount: int = 1
    label: str = ""


@dataclass(frozen=True, slots=True)
class Denied:
    """Which limit had no room, and how long until it has."""

    use: WindowUse
    current: float
    retry_after_s: float


@dataclass(slots=True)
class BudgetUse:
    """Reserve `amount` nano-dollars on budget counter `key`; `limit` None never refuses (soft only).

    `seed` is the spend the counter starts from when it is missing (a Redis restarted empty, evicted or
    failed over to a lagging replica): the period's spend as the gateway last knew it from the request log
    and the counter, so that a lost counter never lets a hard budget be spent again from zero."""

    key: str
    amount: int
    limit: int | None
    ttl_s: int
    seed: int = 0


@dataclass(frozen=True, slots=True)
class BudgetDenied:
    """The budget counter that had no room, and what it held."""

    use: BudgetUse
    spent: int
    reserved: int


@dataclass(slots=True)
class BudgetSettle:
    """Release `reserved` and add `actual` (the call's real cost) on budget counter `key` (which starts from
    `seed` if it went missing since the hold was placed, as in `BudgetUse`)."""

    key: str
    reserved: int
    actual: int
    ttl_s: int
    seed: int = 0


@dataclass(frozen=True, slots=True)
class BudgetState:
    """A budget counter: real spend so far and the holds of calls still in flight."""

    spent: int
    reserved: int


class Counters(Protocol):
    """Sliding-window counters (a weighted pair of fixed windows, as Cloudflare and Redis guides do).

    A backend subclasses it and implements every method but `reserve` and `settle`, which it inherits:
    they are `admit` and `finish` without windows."""

    name: str

    async def admit(
        self, windows: Sequence[WindowUse], budgets: Sequence[BudgetUse], now: float | None = None
    ) -> Denied | BudgetDenied | None:
        """`acquire` and `reserve` as one atomic step: None when every window has room and every hard budget
        has room for its hold (and all were added and held), else the first refusal (windows are checked
        first) and nothing changed. `now` (epoch seconds) is for tests: the Redis backend sends concurrent
        calls that leave it None as one batch."""
        ...

    async def finish(
        self, settles: Sequence[BudgetSettle], corrections: Sequence[WindowUse], now: float | None = None
    ) -> list[tuple[int, int]]:
        """`settle` and `add_many` as one step (one round trip); returns what `settle` returns."""
        ...

    async def acquire(self, uses: Sequence[WindowUse], now: float | None = None) -> Denied | None:
        """All-or-nothing: None when every use fits (and was added), else the first that did not."""
        ...

    async def add(self, key: str, window_s: int, amount: int, now: float | None = None) -> None:
        """Add without checking (e.g. a call's real token count after it ended; may be negative)."""
        ...

    async def add_many(self, uses: Sequence[WindowUse], now: float | None = None) -> None:
        """`add` for several counters at once (one round trip on a remote backend)."""
        ...

    async def current(self, key: str, window_s: int, now: float | None = None) -> float:
        """The weighted count in the sliding window ending now."""
        ...

    async def reserve(self, uses: Sequence[BudgetUse]) -> BudgetDenied | None:
        """All-or-nothing: None when every hard limit has room (and all were reserved), else the first without."""
        denied = await self.admit((), uses)
        return denied if isinstance(denied, BudgetDenied) else None

    async def settle(self, settles: Sequence[BudgetSettle]) -> list[tuple[int, int]]:
        """Release holds and add real costs; (spent before, spent after) per counter, to detect thresholds."""
        return await self.finish(settles, ())

    async def budget_state(self, keys: Sequence[str]) -> list[BudgetState]:
        """Spent and reserved per counter (zeros for a counter never touched)."""
        ...

    async def seed_budget(self, key: str, spent: int, ttl_s: int) -> bool:
        """Set a counter's spend (from the request log) unless it already has one; True if it was set."""
        ...

    async def reconcile_budget(self, key: str, logged: int, release: int, ttl_s: int) -> BudgetState:
        """Raise a counter's spend to `logged` (the request log's, a lower bound: never lowered) and release
        `release` of its holds (holds whose settle was lost; never below zero); returns the state after."""
        ...

    async def claim_once(self, key: str, ttl_s: int) -> bool:
        """True for the first caller only (across replicas when shared), e.g. to send an alert once."""
        ...

    async def raise_marks(self, marks: Sequence[tuple[str, float]], ttl_s: int) -> None:
        """Set each mark `key` to `value` unless it already holds a larger one (atomically, across replicas
        when shared); a mark raised expires `ttl_s` after. E.g. until when a deployment's circuit is open."""
        ...

    async def read_marks(self, keys: Sequence[str]) -> list[float | None]:
        """Each mark's value (None: never raised, or expired); one round trip."""
        ...

    async def close(self) -> None: ...


def sliding_count(previous: float, current: float, elapsed_fraction: float) -> float:
    """The sliding-window estimate: the previous window weighted by how much of it still overlaps."""
    return previous * (1.0 - elapsed_fraction) + current


def retry_after(window_s: int, elapsed_s: float, previous: float, current: float, amount: int, limit: int) -> float:
    """Seconds until `amount` more fits, assuming no further traffic."""
    if current + amount > limit:
        # Only the next window can help; there the current count becomes the decaying previous one.
        fraction_needed = 1.0 - (limit - amount) / current if current > 0 else 0.0
        return (window_s - elapsed_s) + max(0.0, fraction_needed) * window_s
    if previous <= 0:
        return 0.0
    fraction_needed = 1.0 - (limit - amount - current) / previous
    return max(0.0, fraction_needed * window_s - elapsed_s)
