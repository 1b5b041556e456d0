"""Verification against a real store (SQLite and PostgreSQL): rows edited, deleted and inserted directly in the
database are caught and named; checkpoints are written when due, signed or not, and a forged one is caught."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, delete, insert, update

from rungway.audit.chain import record_hash
from rungway.audit.config import AuditSettings
from rungway.audit.model import Checkpoint
from rungway.audit.service import checkpoint_due, maybe_checkpoint, parse_position, verify_store
from rungway.audit.signing import parse_signing_key
from rungway.audit.store import audit_checkpoints, audit_records, read_checkpoints, record_at
from rungway.errors import InvalidRequest
from tests.audit.support import open_store, seed_changes

SEED = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  # base64 of bytes 0..31: a test key
SIGNER = parse_signing_key(SEED)
EVERY = AuditSettings(checkpoint_every=4)


@pytest.fixture
def engine(store_url: str) -> Engine:
    engine = open_store(store_url)
    seed_changes(engine, 10)
    return engine


def _first_problem(engine: Engine, since: int | None = None) -> tuple[str, int, str]:
    report = verify_store(engine, since, SIGNER.public_raw)
    assert not report.intact
    first = report.problems[0]
    return first.kind, first.seq, first.message


def test_an_untouched_chain_verifies(engine: Engine) -> None:
    report = verify_store(engine, None, SIGNER.public_raw)
    assert report.intact and (report.first_seq, report.last_seq, report.records) == (1, 10, 10)
    assert "chain intact" in report.summary()


def test_an_edited_row_is_named_as_changed(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(audit_records).where(audit_records.c.seq == 4).values(after='{"rpm":9999}'))
    kind, seq, message = _first_problem(engine)
    assert (kind, seq) == ("changed", 4) and "record 4" in message and "changed" in message


def test_a_deleted_row_is_named_as_removed(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(audit_records).where(audit_records.c.seq == 6))
    kind, seq, message = _first_problem(engine)
    assert (kind, seq) == ("removed", 6) and "record(s) 6 removed" in message


def test_rows_deleted_from_the_end_are_named_by_the_head(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(audit_records).where(audit_records.c.seq >= 9))
    kind, seq, message = _first_problem(engine)
    assert (kind, seq) == ("removed", 9) and "9..10 removed from the end" in message


def test_an_inserted_row_is_named_where_the_link_breaks(engine: Engine) -> None:
    """The forger renumbers the records after 5 and inserts a self-consistent record at 6 that links to 5: its
    own hash is right, but record 7 (the old 6) does not link to it."""
    with engine.begin() as conn:
        for seq in range(10, 5, -1):
            conn.execute(update(audit_records).where(audit_records.c.seq == seq).values(seq=seq + 1))
    five = record_at(engine, 5)
    assert five is not None
    forged = {**five.as_dict(), "seq": 6, "id": "aud_forged", "actor": "mallory", "prev_hash": five.hash}
    forged["hash"] = record_hash(forged)
    with engine.begin() as conn:
        conn.execute(insert(audit_records).values(**forged))
    kind, seq, message = _first_problem(engine)
    assert (kind, seq) == ("inserted", 6) and "record 7 does not link to record 6" in message


def test_a_row_rehashed_after_an_edit_is_caught_by_the_next_link(engine: Engine) -> None:
    three = record_at(engine, 3)
    assert three is not None
    edited = {**three.as_dict(), "actor": "mallory"}
    with engine.begin() as conn:
        conn.execute(update(audit_records).where(audit_records.c.seq == 3)
                     .values(actor="mallory", hash=record_hash(edited)))  # fmt: skip
    assert _first_problem(engine)[:2] == ("inserted", 3)


def test_verify_since_a_seq_starts_from_the_stored_hash_before_it(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(audit_records).where(audit_records.c.seq == 2).values(actor="mallory"))
    assert verify_store(engine, 5, None).intact  # the edit is before the window
    assert verify_store(engine, 5, None).records == 6
    assert _first_problem(engine, 2)[:2] == ("changed", 2)


def test_checkpoints_are_due_every_n_records_or_after_the_interval() -> None:
    minute = AuditSettings(checkpoint_every=100, checkpoint_minutes=1)
    last = Checkpoint(10, 1000.0, "h", None, None)
    assert checkpoint_due(None, 1, minute, 0.0)  # the first one as soon as there is a record
    assert not checkpoint_due(last, 10, minute, 5000.0)  # nothing new
    assert not checkpoint_due(last, 50, minute, 1030.0)
    assert checkpoint_due(last, 50, minute, 1061.0)
    assert checkpoint_due(last, 110, minute, 1001.0)


def test_signed_checkpoints_verify_and_a_forged_one_is_caught(engine: Engine) -> None:
    now = time.time()
    made = maybe_checkpoint(engine, EVERY, SIGNER, now)
    assert made is not None and made.seq == 10 and made.key_id == SIGNER.key_id
    assert maybe_checkpoint(engine, EVERY, SIGNER, now + 1) is None  # not due: nothing new
    seed_changes(engine, 4)
    assert maybe_checkpoint(engine, EVERY, SIGNER, now + 2) is not None
    report = verify_store(engine, None, SIGNER.public_raw)
    assert report.intact and report.signed_ok == 2 and report.unsigned == 0, report.summary()
    with engine.begin() as conn:
        conn.execute(update(audit_checkpoints).where(audit_checkpoints.c.seq == 10).values(ts=now + 5))
    kind, seq, message = _first_problem(engine)
    assert (kind, seq) == ("checkpoint", 10) and "signature does not match" in message


def test_a_rewritten_chain_is_caught_by_its_checkpoint(engine: Engine) -> None:
    """The forger edits record 2 and rehashes every record after it: the links hold, the checkpoint does not."""
    assert maybe_checkpoint(engine, EVERY, SIGNER, time.time()) is not None
    prev = None
    for seq in range(2, 11):
        record = record_at(engine, seq)
        assert record is not None
        fields = record.as_dict()
        fields["actor"] = "mallory" if seq == 2 else fields["actor"]
        fields["prev_hash"] = prev or fields["prev_hash"]
        fields["hash"] = prev = record_hash(fields)
        with engine.begin() as conn:
            conn.execute(update(audit_records).where(audit_records.c.seq == seq).values(**fields))
    kind, seq, message = _first_problem(engine)
    assert (kind, seq) == ("changed", 10) and "checkpoint at seq 10" in message


def test_without_a_key_checkpoints_are_unsigned_and_verify_says_so(engine: Engine) -> None:
    made = maybe_checkpoint(engine, EVERY, None, time.time())
    assert made is not None and made.signature is None and made.key_id is None
    report = verify_store(engine, None, None)
    assert report.intact and report.unsigned == 1 and "UNSIGNED" in report.summary()
    assert [c.seq for c in read_checkpoints(engine)] == [10]


def test_since_takes_a_seq_or_a_time(engine: Engine) -> None:
    now = time.time()
    assert parse_position(engine, "7", now, "--since") == 7
    assert parse_position(engine, "1h", now, "--since") == 1  # every seeded record is newer
    assert parse_position(engine, "2999-01-01", now, "--since") == 11  # after the last: nothing to read
    assert parse_position(engine, None, now, "--since") is None
    with pytest.raises(InvalidRequest, match="--since"):
        parse_position(engine, "yesterday-ish", now, "--since")
