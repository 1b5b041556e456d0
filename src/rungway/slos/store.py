"""The SLO tables (migration slo0001) and the reads and writes of definitions, snapshots and alert episodes.

A definition is stored as its JSON spec under (workload, name) with a `series` id, new each time the spec is
written: the hourly roll-up (`slo_hourly`, `measure.py`) is kept per series, so a changed SLO is measured
afresh and never mixes two definitions' counts. Snapshots are keyed by (workload, name, at) with `at` on the
snapshot period's boundary, so replicas taking the same snapshot store it once. An alert episode moves with
a compare-and-set on `slo_alert_state` (`begin_episode` / `end_episode`): one replica wins each transition.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from rungway.slos.burn import SloStatus
from rungway.slos.model import Slo, check_slo
from rungway.store.schema import metadata

__all__ = [
    "AlertRecord",
    "Definition",
    "Snapshot",
    "begin_episode",
    "delete_definition",
    "end_episode",
    "put_definition",
    "read_alerts",
    "read_definitions",
    "read_snapshots",
    "slo_alert_state",
    "slo_alerts",
    "slo_definitions",
    "slo_hourly",
    "slo_rollup_state",
    "slo_snapshots",
    "write_snapshot",
]

slo_definitions = Table(
    "slo_definitions",
    metadata,
    Column("workload", String(64), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("series", String(32), nullable=False, unique=True),
    Column("spec", Text, nullable=False),
    Column("source", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("created_by", String(256)),
)
slo_hourly = Table(
    "slo_hourly",
    metadata,
    Column("series", String(32), primary_key=True),
    Column("bucket", Float, primary_key=True),
    Column("good", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
)
slo_rollup_state = Table(
    "slo_rollup_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("watermark", Float, nullable=False),
)
slo_snapshots = Table(
    "slo_snapshots",
    metadata,
    Column("workload", String(64), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("at", Float, primary_key=True),
    Column("good", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("sli", Float),
    Column("budget_remaining", Float),
    Column("burn_rates", Text, nullable=False),
    Column("firing", String(200), nullable=False),
)
slo_alert_state = Table(
    "slo_alert_state",
    metadata,
    Column("workload", String(64), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("tier", String(16), primary_key=True),
    Column("firing", Boolean, nullable=False),
    Column("episode", Integer, nullable=False),
    Column("since", Float, nullable=False),
)
slo_alerts = Table(
    "slo_alerts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workload", String(64), nullable=False),
    Column("name", String(64), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("episode", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("at", Float, nullable=False),
    Column("burn_long", Float, nullable=False),
    Column("burn_short", Float, nullable=False),
    Index("ix_slo_alerts_workload", "workload", "at"),
)


@dataclass(frozen=True, slots=True)
class Definition:
    """A stored SLO: the objective, its roll-up series, and where it came from (`config` or `api`)."""

    slo: Slo
    series: str
    source: str
    created_at: float
    created_by: str | None

    def to_json(self) -> dict[str, Any]:
        return {**self.slo.to_json(), "source": self.source, "created_at": self.created_at,
                "created_by": self.created_by}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An SLO's status as stored at one time (history)."""

    at: float
    good: int
    total: int
    sli: float | None
    budget_remaining: float | None
    burn_rates: dict[str, float]
    firing: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "good": self.good, "total": self.total, "sli": self.sli,
                "error_budget_remaining": self.budget_remaining, "burn_rates": self.burn_rates,
                "firing": list(self.firing)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """One alert transition: a tier started firing (`firing`) or cleared (`resolved`)."""

    id: str
    workload: str
    name: str
    tier: str
    episode: int
    state: str
    at: float
    burn_long: float
    burn_short: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "workload": self.workload, "slo": self.name, "tier": self.tier,
                "episode": self.episode, "state": self.state, "at": self.at, "burn_long": self.burn_long,
                "burn_short": self.burn_short}  # fmt: skip


def _definition(row: Any) -> Definition:
    spec = orjson.loads(row.spec)
    return Definition(check_slo(row.workload, row.name, spec), row.series, row.source, float(row.created_at),
                      row.created_by)  # fmt: skip


def read_definitions(engine: Engine, workload: str | None, name: str | None = None) -> list[Definition]:
    """Ordered by workload and name; every workload's when `workload` is None."""
    c = slo_definitions.c
    query = select(slo_definitions).order_by(c.workload, c.name)
    if workload is not None:
        query = query.where(c.workload == workload)
    if name is not None:
        query = query.where(c.name == name)
    with engine.connect() as conn:
        return [_definition(row) for row in conn.execute(query)]


def put_definition(engine: Engine, slo: Slo, source: str, by: str | None, now: float) -> Definition:
    """Store (or replace) the SLO; an unchanged spec keeps its series (and its roll-up), a changed one starts anew."""
    spec = slo.spec()
    c = slo_definitions.c
    with engine.begin() as conn:
        old = conn.execute(select(slo_definitions).where(c.workload == slo.workload, c.name == slo.name)).first()
        if old is not None and orjson.loads(old.spec) == spec and old.source == source:
            return _definition(old)
        if old is not None:
            _forget_series(conn, old.series)
            conn.execute(delete(slo_definitions).where(c.workload == slo.workload, c.name == slo.name))
        series = secrets.token_hex(8)
        conn.execute(insert(slo_definitions).values(workload=slo.workload, name=slo.name, series=series,
                                                    spec=orjson.dumps(spec).decode(), source=source,
                                                    created_at=now, created_by=by))  # fmt: skip
    return Definition(slo, series, source, now, by)


def _forget_series(conn: Any, series: str) -> None:
    conn.execute(delete(slo_hourly).where(slo_hourly.c.series == series))
    conn.execute(delete(slo_rollup_state).where(slo_rollup_state.c.name == series))


def delete_definition(engine: Engine, workload: str, name: str) -> bool:
    """Remove the SLO with its roll-up, snapshots and alert state; False when there was none."""
    c = slo_definitions.c
    with engine.begin() as conn:
        old = conn.execute(select(slo_definitions).where(c.workload == workload, c.name == name)).first()
        if old is None:
            return False
        _forget_series(conn, old.series)
        conn.execute(delete(slo_definitions).where(c.workload == workload, c.name == name))
        for table in (slo_snapshots, slo_alert_state):
            conn.execute(delete(table).where(table.c.workload == workload, table.c.name == name))
    return True


def _insert_ignoring_duplicates(engine: Engine, table: Table, keys: Sequence[str], values: dict[str, Any]) -> bool:
    """Insert unless the row's key is stored already; True when this call stored it."""
    make = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    statement = make(table).values(**values).on_conflict_do_nothing(index_elements=list(keys))
    with engine.begin() as conn:  # RETURNING, not rowcount: psycopg's rowcount is not the rows inserted here
        return conn.execute(statement.returning(table.c[keys[0]])).first() is not None


def write_snapshot(engine: Engine, slo: Slo, status: SloStatus, at: float) -> bool:
    """Store the status as the snapshot at `at` (once across replicas)."""
    values = {"workload": slo.workload, "name": slo.name, "at": at, "good": status.window.good,
              "total": status.window.total, "sli": status.sli, "budget_remaining": status.budget_remaining,
              "burn_rates": orjson.dumps(dict(status.burn)).decode(), "firing": ",".join(status.firing)}  # fmt: skip
    return _insert_ignoring_duplicates(engine, slo_snapshots, ("workload", "name", "at"), values)


def read_snapshots(engine: Engine, workload: str, name: str, since: float, limit: int) -> list[Snapshot]:
    """The newest `limit` snapshots since `since`, oldest first."""
    c = slo_snapshots.c
    query = (select(slo_snapshots).where(c.workload == workload, c.name == name, c.at >= since)
             .order_by(c.at.desc()).limit(limit))  # fmt: skip
    with engine.connect() as conn:
        rows = list(conn.execute(query))
    return [Snapshot(float(r.at), int(r.good), int(r.total), r.sli, r.budget_remaining, orjson.loads(r.burn_rates),
                     tuple(t for t in r.firing.split(",") if t)) for r in reversed(rows)]  # fmt: skip


def prune_snapshots(engine: Engine, before: float) -> None:
    with engine.begin() as conn:
        conn.execute(delete(slo_snapshots).where(slo_snapshots.c.at < before))
        conn.execute(delete(slo_hourly).where(slo_hourly.c.bucket < before))


def _alert_key(workload: str, name: str, tier: str) -> Any:
    c = slo_alert_state.c
    return (c.workload == workload, c.name == name, c.tier == tier)


def begin_episode(engine: Engine, workload: str, name: str, tier: str, now: float) -> int | None:
    """Move the tier to firing; the new episode's number when this call moved it, None when it was firing."""
    values = {"workload": workload, "name": name, "tier": tier, "firing": False, "episode": 0, "since": now}
    _insert_ignoring_duplicates(engine, slo_alert_state, ("workload", "name", "tier"), values)
    c = slo_alert_state.c
    with engine.begin() as conn:
        moved = conn.execute(update(slo_alert_state).where(*_alert_key(workload, name, tier), c.firing.is_(False))
                             .values(firing=True, episode=c.episode + 1, since=now))  # fmt: skip
        if not moved.rowcount:
            return None
        return int(conn.execute(select(c.episode).where(*_alert_key(workload, name, tier))).scalar_one())


def end_episode(engine: Engine, workload: str, name: str, tier: str, now: float) -> int | None:
    """Move the tier back to quiet; the ended episode's number when this call moved it, else None."""
    c = slo_alert_state.c
    with engine.begin() as conn:
        moved = conn.execute(update(slo_alert_state).where(*_alert_key(workload, name, tier), c.firing.is_(True))
                             .values(firing=False, since=now))  # fmt: skip
        if not moved.rowcount:
            return None
        return int(conn.execute(select(c.episode).where(*_alert_key(workload, name, tier))).scalar_one())


def firing_tiers(engine: Engine, workload: str, name: str) -> set[str]:
    c = slo_alert_state.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.tier).where(c.workload == workload, c.name == name, c.firing.is_(True)))
        return {str(r.tier) for r in rows}


def insert_alert(engine: Engine, record: AlertRecord) -> None:
    with engine.begin() as conn:
        conn.execute(insert(slo_alerts).values(**{k: getattr(record, k) for k in AlertRecord.__slots__}))


def read_alerts(engine: Engine, workload: str | None, name: str | None = None, limit: int = 50) -> list[AlertRecord]:
    """Newest first."""
    c = slo_alerts.c
    query = select(slo_alerts).order_by(c.at.desc(), c.id).limit(limit)
    if workload is not None:
        query = query.where(c.workload == workload)
    if name is not None:
        query = query.where(c.name == name)
    with engine.connect() as conn:
        return [AlertRecord(r.id, r.workload, r.name, r.tier, int(r.episode), r.state, float(r.at),
                            float(r.burn_long), float(r.burn_short)) for r in conn.execute(query)]  # fmt: skip
