"""Retention with legal hold: the content of records past their workload's retention is erased, never the records.

Why it exists: an audit trail kept forever holds every changed object's before and after (prompts, policies,
key metadata) long past any need, yet a regulated workload must keep its own for years, and a matter under
litigation must keep everything until it is settled. Erasing a format-2 record replaces its `request`,
`before` and `after` by their digests (`chain.erased`): the record, its place and its hash stay, so the chain
and every signed checkpoint still verify, and `verify` counts the erased records. Records of the first format
(written before retention existed) hash their text and are kept whole.

Who decides: `audit.retention_days` (0: kept), `audit.workload_retention_days` per workload, and legal holds
(`audit_holds`, one per workload, or `*` for every record) that stop erasure until released. Each erasure run
that erased anything appends a record of what it erased (`audit.retention.erase`). Two replicas may run it at
once: each row is erased by a compare-and-set on its content, so it is erased, and counted, once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Column, Engine, Float, String, Table, and_, delete, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnElement

from rungway.audit.chain import ERASED, erased
from rungway.audit.config import AuditSettings
from rungway.audit.model import RecordDraft, bounded_json
from rungway.audit.store import append_records, audit_records
from rungway.store.schema import metadata

__all__ = ["ALL_WORKLOADS", "WORKLOAD_CHARS", "ErasureRun", "Hold", "audit_holds", "erase_expired", "hold_workload",
           "list_holds", "place_hold", "release_hold"]  # fmt: skip

ALL_WORKLOADS = "*"  # a hold on every record, whatever its workload
WORKLOAD_CHARS = 64
DAY_S = 86_400.0

audit_holds = Table(
    "audit_holds",
    metadata,
    Column("workload", String(64), primary_key=True),
    Column("reason", String(500), nullable=False),
    Column("actor", String(256), nullable=False),
    Column("since", Float, nullable=False),
)


@dataclass(frozen=True, slots=True)
class Hold:
    """A legal hold: nothing of `workload` (or of any, for `*`) is erased while it stands."""

    workload: str
    reason: str
    actor: str
    since: float

    def as_dict(self) -> dict[str, str | float]:
        return {"workload": self.workload, "reason": self.reason, "actor": self.actor, "since": self.since}


@dataclass(frozen=True, slots=True)
class ErasureRun:
    """What one run erased: records per workload (`""` for records of no workload)."""

    erased: int
    by_workload: dict[str, int]


def list_holds(engine: Engine) -> list[Hold]:
    with engine.connect() as conn:
        rows = conn.execute(select(audit_holds).order_by(audit_holds.c.workload)).all()
    return [Hold(r.workload, r.reason, r.actor, float(r.since)) for r in rows]


def place_hold(engine: Engine, workload: str, reason: str, actor: str, now: float) -> Hold:
    """Place (or restate) a hold; returns it as stored."""
    values = {"workload": workload, "reason": reason, "actor": actor, "since": now}
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(audit_holds).values(**values)
    statement = statement.on_conflict_do_update(index_elements=["workload"], set_={"reason": reason, "actor": actor})
    with engine.begin() as conn:
        conn.execute(statement)
        row = conn.execute(select(audit_holds).where(audit_holds.c.workload == workload)).one()
    return Hold(row.workload, row.reason, row.actor, float(row.since))


def hold_workload(text: str) -> str:
    """What a hold names, checked: a workload name of 1 to 64 characters, or `*`; ValueError saying so."""
    name = text.strip()
    if not name or len(name) > WORKLOAD_CHARS:
        raise ValueError(f"workload: a name of 1 to {WORKLOAD_CHARS} characters, or {ALL_WORKLOADS} for every record")
    return name


def release_hold(engine: Engine, workload: str) -> Hold | None:
    """Release a hold; the hold released (None when there was none)."""
    with engine.begin() as conn:
        row = conn.execute(select(audit_holds).where(audit_holds.c.workload == workload).with_for_update()).first()
        if row is None:
            return None
        conn.execute(delete(audit_holds).where(audit_holds.c.workload == workload))
    return Hold(row.workload, row.reason, row.actor, float(row.since))


def _due(settings: AuditSettings, held: set[str], now: float) -> ColumnElement[bool] | None:
    """Which records are past their retention and not held, as one condition (None: none can be)."""
    if ALL_WORKLOADS in held:
        return None
    c = audit_records.c
    explicit = dict(settings.workload_retention_days)
    parts: list[ColumnElement[bool]] = []
    for name, days in explicit.items():
        if days > 0 and name not in held:
            parts.append(and_(c.workload == name, c.ts < now - days * DAY_S))
    if settings.retention_days > 0:
        excluded = [*explicit, *held]
        others = or_(c.workload.is_(None), c.workload.not_in(excluded)) if excluded else true()
        parts.append(and_(others, c.ts < now - settings.retention_days * DAY_S))
    if not parts:
        return None
    not_yet = or_(*(and_(col.is_not(None), col.not_like(ERASED + "%")) for col in (c.request, c.before, c.after)))
    return and_(c.format.is_not(None), not_yet, or_(*parts))


def erase_expired(engine: Engine, settings: AuditSettings, now: float, *, batch: int = 2000) -> ErasureRun:
    """Erase the content of every record past its retention and not held; record the run when it erased any."""
    if not settings.retains:
        return ErasureRun(0, {})
    due = _due(settings, {h.workload for h in list_holds(engine)}, now)
    if due is None:
        return ErasureRun(0, {})
    c = audit_records.c
    counts: Counter[str] = Counter()
    after = 0
    while True:
        query = select(c.seq, c.workload, c.request, c.before, c.after).where(due, c.seq > after)
        with engine.connect() as conn:
            rows = conn.execute(query.order_by(c.seq).limit(batch)).all()
        if not rows:
            break
        with engine.begin() as conn:
            for row in rows:
                # Compare-and-set on the content read: a replica that erased it first leaves nothing to count.
                done = conn.execute(
                    update(audit_records)
                    .where(
                        c.seq == row.seq,
                        *_same(c.request, row.request),
                        *_same(c.before, row.before),
                        *_same(c.after, row.after),
                    )
                    .values(request=erased(row.request), before=erased(row.before), after=erased(row.after))
                ).rowcount
                if done:
                    counts[row.workload or ""] += 1
        after = int(rows[-1].seq)
        if len(rows) < batch:
            break
    total = sum(counts.values())
    if total:
        summary = {"erased": total, "by_workload": dict(sorted(counts.items())), "before_days": _days(settings)}
        draft = RecordDraft(actor="rungway", via="system", action="audit.retention.erase", status=200,
                            object_type="audit", request=bounded_json(summary))  # fmt: skip
        append_records(engine, [draft], now)
    return ErasureRun(total, dict(counts))


def _same(column: Column[str], value: str | None) -> Sequence[ColumnElement[bool]]:
    return [column.is_(None)] if value is None else [column == value]


def _days(settings: AuditSettings) -> dict[str, float]:
    return {"default": settings.retention_days, **dict(settings.workload_retention_days)}
