"""The audit tables (migration au0001): the append-only records, the signed checkpoints and the chain's head.

Appends are serialized across threads, processes and replicas: one transaction takes the append lock (the
`audit_head` row `SELECT ... FOR UPDATE` on PostgreSQL; `BEGIN IMMEDIATE`, the database's one writer lock, on
SQLite), reads the head (last seq and hash), inserts the next records and moves the head. So two replicas never
fork the chain, and `seq` has no gaps but those a deletion makes. `seq` is also the primary key: a second
writer that somehow skipped the lock fails instead of forking.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from rungway.audit.model import GENESIS, AuditRecord, Checkpoint, RecordDraft
from rungway.store.schema import metadata

__all__ = [
    "append_records",
    "audit_checkpoints",
    "audit_head",
    "audit_records",
    "first_seq_since",
    "head_of",
    "iter_records",
    "last_checkpoint",
    "list_records",
    "read_checkpoints",
    "record_at",
    "write_checkpoint",
]

audit_records = Table(
    "audit_records",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("id", String(40), nullable=False, unique=True),
    Column("ts", Float, nullable=False),
    Column("actor", String(256), nullable=False),
    Column("key_id", String(40)),
    Column("via", String(8), nullable=False),
    Column("action", String(256), nullable=False),
    Column("object_type", String(64)),
    Column("object_id", String(256)),
    Column("workload", String(64)),
    Column("request", Text),
    Column("before", Text),
    Column("after", Text),
    Column("status", Integer, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("format", SmallInteger),  # au0002: None for records of the first format
    Index("ix_audit_records_ts", "ts"),
    Index("ix_audit_records_workload", "workload", "seq"),
)
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("ts", Float, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("signature", String(128)),
    Column("key_id", String(32)),
)
audit_head = Table(
    "audit_head",
    metadata,
    Column("name", String(16), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)
CHAIN = "chain"  # the one head row (migration au0001 inserts it)
_COLUMNS = [c.name for c in audit_records.columns]


def _lock_head(conn: Connection) -> tuple[int, str]:
    """Take the append lock and read the head; the caller's transaction holds the lock until it ends."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    query = select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.name == CHAIN).with_for_update()
    row = conn.execute(query).one_or_none()
    if row is None:  # a store whose head row was removed: start it at the last record (verify reports the rest)
        last = conn.execute(select(audit_records.c.seq, audit_records.c.hash).order_by(audit_records.c.seq.desc())
                            .limit(1)).one_or_none()  # fmt: skip
        seq, hash_ = (0, GENESIS) if last is None else (int(last.seq), str(last.hash))
        conn.execute(insert(audit_head).values(name=CHAIN, seq=seq, hash=hash_))
        return seq, hash_
    return int(row.seq), str(row.hash)


def append_records(engine: Engine, drafts: Sequence[RecordDraft], now: float) -> list[AuditRecord]:
    """Seal `drafts` onto the chain in one serialized transaction; returns them as stored."""
    if not drafts:
        return []
    with engine.connect() as conn:
        seq, prev = _lock_head(conn)
        sealed: list[AuditRecord] = []
        for draft in drafts:
            seq += 1
            record = AuditRecord.seal(draft, seq, now, prev)
            sealed.append(record)
            prev = record.hash
        conn.execute(insert(audit_records), [r.as_dict() for r in sealed])
        conn.execute(update(audit_head).where(audit_head.c.name == CHAIN).values(seq=seq, hash=prev))
        conn.commit()
    return sealed


def _record(row: object) -> AuditRecord:
    return AuditRecord(**{name: getattr(row, name) for name in _COLUMNS})


def iter_records(
    engine: Engine, since_seq: int = 1, until_seq: int | None = None, batch: int = 2000
) -> Iterator[AuditRecord]:
    """Every record from `since_seq` (to `until_seq`) in seq order, read in batches (keyset pages)."""
    after = since_seq - 1
    while True:
        query = select(audit_records).where(audit_records.c.seq > after).order_by(audit_records.c.seq).limit(batch)
        if until_seq is not None:
            query = query.where(audit_records.c.seq <= until_seq)
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        for row in rows:
            yield _record(row)
        if len(rows) < batch:
            return
        after = int(rows[-1].seq)


def list_records(
    engine: Engine,
    *,
    workload: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since_ts: float | None = None,
    until_ts: float | None = None,
    before_seq: int | None = None,
    limit: int = 50,
) -> list[AuditRecord]:
    """Records matching every filter given, newest first (`before_seq` pages back)."""
    c = audit_records.c
    query = select(audit_records).order_by(c.seq.desc()).limit(limit)
    for column, value in ((c.workload, workload), (c.actor, actor)):
        if value is not None:
            query = query.where(column == value)
    if action is not None:
        query = query.where(c.action.like(action.replace("*", "%")))
    if since_ts is not None:
        query = query.where(c.ts >= since_ts)
    if until_ts is not None:
        query = query.where(c.ts < until_ts)
    if before_seq is not None:
        query = query.where(c.seq < before_seq)
    with engine.connect() as conn:
        return [_record(row) for row in conn.execute(query)]


def record_at(engine: Engine, seq: int) -> AuditRecord | None:
    with engine.connect() as conn:
        row = conn.execute(select(audit_records).where(audit_records.c.seq == seq)).one_or_none()
    return None if row is None else _record(row)


def first_seq_since(engine: Engine, ts: float) -> int | None:
    """The seq of the first record at or after `ts` (None: none yet)."""
    with engine.connect() as conn:
        found = conn.execute(select(audit_records.c.seq).where(audit_records.c.ts >= ts)
                             .order_by(audit_records.c.seq).limit(1)).scalar()  # fmt: skip
    return None if found is None else int(found)


def head_of(engine: Engine) -> tuple[int, str]:
    """(seq, hash) of the chain's head as the store keeps it ((0, GENESIS) before the first record)."""
    with engine.connect() as conn:
        row = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.name == CHAIN)).one_or_none()
    return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))


def read_checkpoints(engine: Engine, since_seq: int = 1, until_seq: int | None = None) -> list[Checkpoint]:
    query = select(audit_checkpoints).where(audit_checkpoints.c.seq >= since_seq).order_by(audit_checkpoints.c.seq)
    if until_seq is not None:
        query = query.where(audit_checkpoints.c.seq <= until_seq)
    with engine.connect() as conn:
        return [Checkpoint(int(r.seq), float(r.ts), r.hash, r.signature, r.key_id) for r in conn.execute(query)]


def last_checkpoint(engine: Engine) -> Checkpoint | None:
    query = select(audit_checkpoints).order_by(audit_checkpoints.c.seq.desc()).limit(1)
    with engine.connect() as conn:
        r = conn.execute(query).one_or_none()
    return None if r is None else Checkpoint(int(r.seq), float(r.ts), r.hash, r.signature, r.key_id)


def write_checkpoint(engine: Engine, checkpoint: Checkpoint) -> bool:
    """Store a checkpoint; False when another replica already checkpointed that seq."""
    try:
        with engine.begin() as conn:
            conn.execute(insert(audit_checkpoints).values(**checkpoint.as_dict()))
    except IntegrityError:
        return False
    return True
