"""Management reads in the store: who looked at the request log, usage, cost or budgets, and when.

The API records a read through a batch writer (`GatewayState.read_writer`), so answering never
waits on this insert; the CLI, which reads the store directly, records its own read the same way
it reads. The maturity assessment asks `reads_by_workload` for the window's reads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from rungway.domain.ids import new_id
from rungway.domain.records import ManagementRead
from rungway.store.schema import management_reads

__all__ = ["READ_KINDS", "insert_reads", "new_read", "reads_by_workload", "record_read"]

log = logging.getLogger("rungway.store.reads")

READ_KINDS = ("logs", "usage", "cost_report", "budget_status", "traces")


def new_read(what: str, workload: str | None, via: str, key_id: str | None = None) -> ManagementRead:
    if what not in READ_KINDS:
        raise ValueError(f"unknown management read {what!r}: one of {', '.join(READ_KINDS)}")
    return ManagementRead(new_id("mrd_"), time.time(), workload, what, via, key_id)


def insert_reads(engine: Engine, reads: Sequence[ManagementRead]) -> None:
    """The read writer's sink (and the CLI's direct write)."""
    if not reads:
        return
    rows = [{name: getattr(r, name) for name in ManagementRead.__slots__} for r in reads]
    with engine.begin() as conn:
        conn.execute(insert(management_reads), rows)


def record_read(engine: Engine, what: str, workload: str | None) -> None:
    """Record a CLI read. A store that refuses the write (a read-only replica) must not fail the read itself."""
    try:
        insert_reads(engine, [new_read(what, workload, "cli")])
    except SQLAlchemyError as exc:
        log.warning("could not record the %s read: %s", what, exc)


def reads_by_workload(engine: Engine, since: float, kinds: Collection[str]) -> dict[str | None, dict[str, int]]:
    """workload (None: across every workload) -> kind -> reads since `since`."""
    m = management_reads.c
    q = (
        select(m.workload, m.what, func.count())
        .where(m.ts >= since, m.what.in_(sorted(kinds)))
        .group_by(m.workload, m.what)
    )
    out: dict[str | None, dict[str, int]] = {}
    with engine.connect() as conn:
        for workload, what, count in conn.execute(q):
            out.setdefault(workload, {})[what] = int(count)
    return out
