"""An hourly roll-up of the request log: its watermark, and moving it an hour range at a time.

Several readers keep their own per-hour totals of the request log (the dashboard's `request_hourly`,
the assessment's `assessment_hourly`): each reads closed hours from its table and only the edges of a
window from the log. What they share is here: one row (name, watermark) in the roll-up's own state
table says that every call started before the watermark is rolled up, and `advance` moves it over
closed hours with a compare-and-set in the same transaction as the rows it adds, so several processes
(replicas, a CLI beside a server) roll up each hour exactly once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from rungway.domain.timespec import HOUR
from rungway.store.schema import requests

Writer = Callable[[Connection], None]
"""Adds the rows of a range of hours, inside the transaction that moves the watermark over them."""

Prepare = Callable[[float, float], Writer]
"""Given [start, end): anything to read before the transaction opens, then the writer to run inside it."""


@dataclass(frozen=True, slots=True)
class HourlyRollup:
    """The watermark of one roll-up, kept as the row `name` of `state` (columns `name`, `watermark`)."""

    state: Table
    name: str

    def watermark(self, engine: Engine) -> float | None:
        """Calls that started before this time are rolled up; None before the first roll-up."""
        with engine.connect() as conn:
            row = conn.execute(select(self.state.c.watermark).where(self.state.c.name == self.name)).first()
        return float(row[0]) if row is not None else None

    def advance(self, engine: Engine, target: float, chunk_hours: int, prepare: Prepare) -> int:
        """Roll up every hour from the watermark to `target` (an hour boundary), `chunk_hours` per
        transaction; returns the hours added. The first roll-up starts at the log's oldest call."""
        watermark = self.watermark(engine)
        if watermark is None:
            with engine.connect() as conn:
                first = conn.execute(select(func.min(requests.c.ts_start))).scalar()
            watermark = math.floor(float(first) / HOUR) * HOUR if first is not None else target
            try:
                with engine.begin() as conn:
                    conn.execute(insert(self.state).values(name=self.name, watermark=watermark))
            except IntegrityError:  # another process started the roll-up first; it carries on from there
                return 0
        hours = 0
        while watermark < target:
            end = min(target, watermark + chunk_hours * HOUR)
            write = prepare(watermark, end)
            with engine.begin() as conn:
                if not self.move(conn, watermark, end):
                    return hours  # another process rolled these hours up
                write(conn)
            hours += int((end - watermark) / HOUR)
            watermark = end
        return hours

    def move(self, conn: Connection, before: float | None, after: float) -> bool:
        """Compare-and-set in the caller's transaction (`before` None: the first value); False when another
        process moved it first."""
        if before is None:
            try:
                with conn.begin_nested():
                    conn.execute(insert(self.state).values(name=self.name, watermark=after))
            except IntegrityError:
                return False
            return True
        state = self.state.c
        moved = conn.execute(
            update(self.state).where(state.name == self.name, state.watermark == before).values(watermark=after)
        )
        return moved.rowcount == 1

    def reset(self, conn: Connection) -> None:
        """Forget the watermark (in the caller's transaction, beside emptying the roll-up's table)."""
        conn.execute(self.state.delete().where(self.state.c.name == self.name))


def closed_hour(now: float, slack_s: float) -> float:
    """The last hour boundary that every call started before it has had `slack_s` to be written by."""
    return math.floor((now - slack_s) / HOUR) * HOUR


__all__ = ["HourlyRollup", "Prepare", "Writer", "closed_hour"]
