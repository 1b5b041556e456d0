"""The audit trail's use cases, shared by the API, the CLI, the background checkpointer and the evidence check:
appending, checkpointing, verifying the stored chain and writing an auditor's bundle.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from rungway.audit import chain
from rungway.audit.chain import ChainReport, checkpoint_message, verify_chain
from rungway.audit.config import AuditSettings
from rungway.audit.model import AuditRecord, Checkpoint, RecordDraft
from rungway.audit.signing import Signer
from rungway.audit.store import (
    append_records,
    first_seq_since,
    head_of,
    iter_records,
    last_checkpoint,
    read_checkpoints,
    record_at,
    write_checkpoint,
)
from rungway.domain.timespec import TimeSpecError, parse_instant
from rungway.errors import InvalidRequest

__all__ = [
    "Bundle",
    "checkpoint_due",
    "export_bundle",
    "maybe_checkpoint",
    "parse_position",
    "record",
    "verify_store",
]

_SEQ = re.compile(r"^[0-9]{1,9}$")  # a seq; ten digits and more are epoch seconds


def record(engine: Engine, drafts: Sequence[RecordDraft], now: float) -> list[AuditRecord]:
    """Append `drafts` to the chain (serialized with every other writer)."""
    return append_records(engine, drafts, now)


def checkpoint_due(last: Checkpoint | None, head_seq: int, settings: AuditSettings, now: float) -> bool:
    """A checkpoint is due when records were added since the last one and either `checkpoint_every` of them
    were, or `checkpoint_minutes` have passed since it (since ever, for the first)."""
    done = 0 if last is None else last.seq
    if head_seq <= done:
        return False
    return (
        head_seq - done >= settings.checkpoint_every
        or last is None
        or now - last.ts >= settings.checkpoint_minutes * 60
    )


def maybe_checkpoint(engine: Engine, settings: AuditSettings, signer: Signer | None, now: float) -> Checkpoint | None:
    """Write a checkpoint of the chain's last record when one is due; returns it (None: not due, or another
    replica wrote the same one first)."""
    last = last_checkpoint(engine)
    seq, _ = head_of(engine)
    if not checkpoint_due(last, seq, settings, now):
        return None
    newest = record_at(engine, seq)
    if newest is None:  # the head names a record that is gone: verify reports it; nothing to sign
        return None
    ts = round(now, 6)
    signature = None if signer is None else signer.sign(checkpoint_message(newest.seq, ts, newest.hash))
    made = Checkpoint(newest.seq, ts, newest.hash, signature, None if signer is None else signer.key_id)
    return made if write_checkpoint(engine, made) else None


def parse_position(engine: Engine, text: str | None, now: float, param: str) -> int | None:
    """A `--since`/`--until` value as a seq: a seq itself (up to 9 digits) or a time (the first record at or
    after it); None when not given."""
    if text is None:
        return None
    value = text.strip()
    if _SEQ.match(value):
        return max(1, int(value))
    try:
        ts = parse_instant(value, now)
    except TimeSpecError as exc:
        raise InvalidRequest(f"{param}: {exc}; or a record's seq", param=param) from None
    found = first_seq_since(engine, ts)
    return found if found is not None else head_of(engine)[0] + 1


def verify_store(engine: Engine, since_seq: int | None, public_raw: bytes | None) -> ChainReport:
    """Recompute the stored chain from `since_seq` (None: the start) and check its checkpoints' signatures."""
    start = since_seq or 1
    anchor = None
    if start > 1:
        before = record_at(engine, start - 1)
        anchor = (start - 1, before.hash) if before is not None else None
        if before is None:  # the anchor itself is gone: link from the start instead, and report what is missing
            start = 1
    head_seq, _ = head_of(engine)
    records = (r.as_dict() for r in iter_records(engine, start))
    marks = [c.as_dict() for c in read_checkpoints(engine, start)]
    return verify_chain(records, marks, public_raw, anchor, head_seq)


@dataclass(frozen=True)
class Bundle:
    """What an export wrote."""

    directory: Path
    records: int
    omitted: int
    checkpoints: int
    signed: bool


def _exported(records: Iterator[AuditRecord], workload: str | None) -> Iterator[dict[str, Any]]:
    for r in records:
        if workload is None or r.workload == workload:
            yield r.as_dict()
        else:  # another workload's record: its link only, so the chain still verifies without its content
            yield {"seq": r.seq, "prev_hash": r.prev_hash, "hash": r.hash, "omitted": True}


def export_bundle(
    engine: Engine,
    directory: Path,
    since_seq: int | None,
    until_seq: int | None,
    workload: str | None,
    public_pem: bytes | None,
) -> Bundle:
    """Write records.jsonl, checkpoints.jsonl, anchor.json, public_key.pem (with a key) and verify.py to
    `directory`: everything an auditor needs to check the records without Rungway."""
    directory.mkdir(parents=True, exist_ok=True)
    start = since_seq or 1
    before = record_at(engine, start - 1) if start > 1 else None
    anchor = {"seq": None, "hash": None} if before is None else {"seq": before.seq, "hash": before.hash}
    if start > 1 and before is None:
        start = 1
    (directory / "anchor.json").write_text(json.dumps(anchor) + "\n", encoding="utf-8")
    kept = omitted = 0
    with (directory / "records.jsonl").open("w", encoding="utf-8") as out:
        for row in _exported(iter_records(engine, start, until_seq), workload):
            omitted += 1 if row.get("omitted") else 0
            kept += 0 if row.get("omitted") else 1
            out.write(json.dumps(row, sort_keys=True) + "\n")
    marks = read_checkpoints(engine, start, until_seq)
    with (directory / "checkpoints.jsonl").open("w", encoding="utf-8") as out:
        for mark in marks:
            out.write(json.dumps(mark.as_dict(), sort_keys=True) + "\n")
    if public_pem is not None:
        (directory / "public_key.pem").write_bytes(public_pem)
    shutil.copyfile(chain.__file__, directory / "verify.py")
    (directory / "README.txt").write_text(_README, encoding="utf-8")
    return Bundle(directory, kept, omitted, len(marks), public_pem is not None)


_README = """Rungway audit export

records.jsonl      the audit records, one JSON object a line, in seq order; a record of another workload
                   (when the export was for one workload) keeps only seq, prev_hash and hash ("omitted": true)
checkpoints.jsonl  the chain's hash at a seq, signed with Ed25519 (signature: base64; key_id: the first 16 hex
                   digits of the SHA-256 of the raw public key); unsigned when no key was set
anchor.json        the seq and hash of the record before the first one exported (null: the chain's start)
public_key.pem     the public key the checkpoints were signed with
verify.py          recomputes each record's hash and link and checks the signatures

    pip install cryptography
    python verify.py .

Exit 0: every record hashes to its stored hash and links to the one before it, and every checkpoint's
signature matches. Exit 1: the first record changed, removed or inserted is named.
"""
