"""Pins set through the API, CLI or an applied upgrade (`model_pins`), and their history (`model_pin_changes`).

A stored pin wins over the configuration's seed for the same (workload, alias). Every change is
recorded with who, when, from, to, why and the upgrade report that justified it; `rollback` restores
the pin a change replaced (the seed again when the change replaced a seed or nothing).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Float, Index, String, Table, Text, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from rungway.domain.ids import new_id
from rungway.errors import InvalidRequest, NotFound
from rungway.models.pins.config import PinningConfig
from rungway.models.pins.model import Pin, PinChange
from rungway.store.schema import metadata

__all__ = ["PinStore", "model_pin_changes", "model_pins"]

model_pins = Table(
    "model_pins",
    metadata,
    Column("workload", String(64), primary_key=True),
    Column("alias", String(128), primary_key=True),
    Column("snapshot", String(128), nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("updated_by", String(256), nullable=False),
    Column("reason", Text, nullable=False),
    Column("report_id", String(40)),
)

model_pin_changes = Table(
    "model_pin_changes",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workload", String(64), nullable=False),
    Column("alias", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("from_snapshot", String(128)),
    Column("to_snapshot", String(128)),
    Column("actor", String(256), nullable=False),
    Column("reason", Text, nullable=False),
    Column("report_id", String(40)),
    Column("changed_at", Float, nullable=False),
    Index("ix_model_pin_changes_workload", "workload", "changed_at"),
    Index("ix_model_pin_changes_alias", "workload", "alias", "changed_at"),
)


def _pin(row: Any) -> Pin:
    return Pin(
        row.workload, row.alias, row.snapshot, "store", row.updated_at, row.updated_by, row.reason, row.report_id
    )


def _change(row: Any) -> PinChange:
    return PinChange(
        row.id,
        row.workload,
        row.alias,
        row.kind,
        row.from_snapshot,
        row.to_snapshot,
        row.actor,
        row.reason,
        row.report_id,
        row.changed_at,
    )


class PinStore:
    """The stored pins over the configuration's seeds: what the API, the CLI and `upgrade apply` change."""

    def __init__(self, engine: Engine, config: PinningConfig) -> None:
        self.engine = engine
        self.config = config

    def stored(self) -> list[Pin]:
        with self.engine.connect() as conn:
            return [_pin(r) for r in conn.execute(select(model_pins))]

    def pins(self, workload: str | None) -> list[Pin]:
        """The effective pins of one workload (None: every workload), seeds overridden by stored pins."""
        out: dict[tuple[str, str], Pin] = {}
        for name, policy in self.config.workloads.items():
            if workload is None or name == workload:
                for alias, snapshot in policy.pins.items():
                    out[(name, alias)] = Pin(name, alias, snapshot, "config")
        query = select(model_pins)
        if workload is not None:
            query = query.where(model_pins.c.workload == workload)
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                out[(row.workload, row.alias)] = _pin(row)
        return sorted(out.values(), key=lambda p: (p.workload, p.alias))

    def current(self, conn: Connection, workload: str, alias: str) -> str | None:
        row = conn.execute(
            select(model_pins.c.snapshot).where(model_pins.c.workload == workload, model_pins.c.alias == alias)
        ).first()
        if row is not None:
            return str(row.snapshot)
        return self.config.policy_for(workload).pins.get(alias)

    def set_pin(
        self,
        workload: str,
        alias: str,
        snapshot: str,
        actor: str,
        reason: str,
        report_id: str | None = None,
        *,
        kind: str = "set",
        now: float | None = None,
    ) -> PinChange:
        """Pin `alias` to `snapshot` for the workload, recording who, why and the report behind it."""
        if alias == snapshot:
            raise InvalidRequest(
                f"a pin maps an alias to another name; {alias!r} to itself pins nothing", param="snapshot"
            )
        at = time.time() if now is None else now
        with self.engine.begin() as conn:
            before = self.current(conn, workload, alias)
            values = {
                "snapshot": snapshot,
                "updated_at": at,
                "updated_by": actor,
                "reason": reason,
                "report_id": report_id,
            }
            done = conn.execute(
                update(model_pins).where(model_pins.c.workload == workload, model_pins.c.alias == alias).values(values)
            )
            if not done.rowcount:
                conn.execute(insert(model_pins).values(workload=workload, alias=alias, **values))
            return self._record(conn, workload, alias, kind, before, snapshot, actor, reason, report_id, at)

    def rollback(
        self, workload: str, alias: str, actor: str, reason: str = "rollback", now: float | None = None
    ) -> PinChange:
        """Restore the pin the newest change of (workload, alias) replaced."""
        at = time.time() if now is None else now
        with self.engine.begin() as conn:
            last = conn.execute(
                select(model_pin_changes)
                .where(model_pin_changes.c.workload == workload, model_pin_changes.c.alias == alias)
                .order_by(model_pin_changes.c.changed_at.desc(), model_pin_changes.c.id.desc())
                .limit(1)
            ).first()
            if last is None:
                raise NotFound(
                    f"no change of the pin of {alias!r} in workload {workload!r} to roll back", param="alias"
                )
            before = self.current(conn, workload, alias)
            restore: str | None = last.from_snapshot
            where = (model_pins.c.workload == workload, model_pins.c.alias == alias)
            seed = self.config.policy_for(workload).pins.get(alias)
            if restore is None or restore == seed:
                conn.execute(delete(model_pins).where(*where))
                restore = seed
            else:
                values = {
                    "snapshot": restore,
                    "updated_at": at,
                    "updated_by": actor,
                    "reason": reason,
                    "report_id": None,
                }
                if not conn.execute(update(model_pins).where(*where).values(values)).rowcount:
                    conn.execute(insert(model_pins).values(workload=workload, alias=alias, **values))
            return self._record(conn, workload, alias, "rollback", before, restore, actor, reason, None, at)

    def _record(
        self,
        conn: Connection,
        workload: str,
        alias: str,
        kind: str,
        before: str | None,
        after: str | None,
        actor: str,
        reason: str,
        report_id: str | None,
        at: float,
    ) -> PinChange:
        change = PinChange(new_id("pch_"), workload, alias, kind, before, after, actor, reason, report_id, at)
        conn.execute(
            insert(model_pin_changes).values(
                id=change.id,
                workload=workload,
                alias=alias,
                kind=kind,
                from_snapshot=before,
                to_snapshot=after,
                actor=actor,
                reason=reason,
                report_id=report_id,
                changed_at=at,
            )
        )
        return change

    def history(self, workload: str | None, alias: str | None = None, limit: int = 100) -> list[PinChange]:
        """Changes, newest first, of one workload (None: all) and optionally one alias."""
        query = select(model_pin_changes)
        if workload is not None:
            query = query.where(model_pin_changes.c.workload == workload)
        if alias is not None:
            query = query.where(model_pin_changes.c.alias == alias)
        query = query.order_by(model_pin_changes.c.changed_at.desc(), model_pin_changes.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_change(r) for r in conn.execute(query)]

    def changes_since(self, since: float) -> Sequence[PinChange]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(model_pin_changes).where(model_pin_changes.c.changed_at >= since))
            return [_change(r) for r in rows]
