"""The audit trail's hash chain and checkpoint signatures, in the standard library and `cryptography` only.

This module is the one definition of how a record is hashed and how a chain and its checkpoints are checked:
the server appends with it, `rungway audit verify` checks with it, and `rungway audit export` copies this very
file into the bundle as `verify.py`, so an auditor runs the same code without Rungway installed:

    python verify.py BUNDLE_DIR        # exit 0: intact; 1: the first record changed, removed or inserted

A record's hash is SHA-256 over the canonical encoding of every field but `hash` (sorted-key, compact, ASCII
JSON), `prev_hash` included, so each record seals the one before it. In records of `format` 2 (every record
written since retention exists) `request`, `before` and `after` enter the hash as the SHA-256 of their text, so
retention can erase a record's content and keep its digest (`erased:sha256:<hex>` in place of the text): the
chain still verifies, and an erased record can no more be altered than a kept one. Records without a `format`
(the first format) hash the texts themselves and are never erased.
A checkpoint signs `{"hash", "seq", "ts"}` (the same encoding) of the record at `seq` with Ed25519.
Nothing here may import Rungway.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CONTENT_FIELDS",
    "ERASED",
    "FORMAT",
    "GENESIS",
    "RECORD_FIELDS",
    "ChainReport",
    "Problem",
    "canonical",
    "checkpoint_message",
    "content_digest",
    "erased",
    "is_erased",
    "key_id_of",
    "main",
    "record_hash",
    "verify_chain",
    "verify_signature",
]

GENESIS = "0" * 64  # the prev_hash of record 1
RECORD_FIELDS = ("seq", "id", "ts", "actor", "key_id", "via", "action", "object_type", "object_id", "workload",
                 "request", "before", "after", "status", "prev_hash")  # fmt: skip
CONTENT_FIELDS = ("request", "before", "after")  # what retention may erase (format 2)
FORMAT = 2  # the record format written now
ERASED = "erased:sha256:"  # an erased content field: this prefix and its text's SHA-256 (never valid JSON)


def content_digest(text: str | None) -> str | None:
    """The SHA-256 (hex) a content field enters a format-2 hash as; an erased field carries it already."""
    if text is None:
        return None
    if text.startswith(ERASED):
        return text[len(ERASED) :]
    return hashlib.sha256(text.encode()).hexdigest()


def erased(text: str | None) -> str | None:
    """A content field as retention leaves it: its digest only (already erased: unchanged)."""
    digest = content_digest(text)
    return None if digest is None else ERASED + digest


def is_erased(record: Mapping[str, Any]) -> bool:
    """Whether retention erased this record's content (a field holds a digest in place of its text)."""
    return any(isinstance(record.get(name), str) and record[name].startswith(ERASED) for name in CONTENT_FIELDS)


def canonical(value: Mapping[str, Any]) -> bytes:
    """Sorted keys, no spaces, ASCII only: one byte string per value, on every machine."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def record_hash(record: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of a record's every field but `hash` (format 2: content fields by their digests)."""
    fields = {name: record[name] for name in RECORD_FIELDS}
    version = record.get("format")
    if version is not None:
        for name in CONTENT_FIELDS:
            fields[name] = content_digest(fields[name])
        fields["format"] = version
    return hashlib.sha256(canonical(fields)).hexdigest()


def checkpoint_message(seq: int, ts: float, hash_: str) -> bytes:
    """What a checkpoint's signature signs."""
    return canonical({"hash": hash_, "seq": seq, "ts": ts})


def key_id_of(public_raw: bytes) -> str:
    """A signing key's id: the first 16 hex digits of the SHA-256 of its raw 32-byte public key."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


def verify_signature(public_raw: bytes, message: bytes, signature_b64: str) -> bool:
    """Whether `signature_b64` is this Ed25519 public key's signature of `message`."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Problem:
    """One thing found wrong: what (`changed`, `removed`, `inserted`, `checkpoint`), where, and in words."""

    kind: str
    seq: int
    message: str


@dataclass
class ChainReport:
    """What a verification found: the records and checkpoints looked at, and the problems (first one first)."""

    first_seq: int | None = None
    last_seq: int | None = None
    records: int = 0
    omitted: int = 0  # records of other workloads in an export: linked, but their content is not in the bundle
    erased: int = 0  # records past their retention: content erased, linked and hashed by its digests
    checkpoints: int = 0
    signed_ok: int = 0
    unsigned: int = 0
    other_key: int = 0  # signed with a key other than the one given: not checked
    problems: list[Problem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        span = "no records" if self.records == 0 else f"{self.records} record(s), seq {self.first_seq}..{self.last_seq}"
        if self.omitted:
            span += f" ({self.omitted} of other workloads linked by hash only)"
        if self.erased:
            span += f" ({self.erased} past retention: content erased, checked by digest)"
        marks = f"{self.checkpoints} checkpoint(s): {self.signed_ok} signature(s) verified"
        if self.unsigned:
            marks += f", {self.unsigned} UNSIGNED (no signing key was set when they were written)"
        if self.other_key:
            marks += f", {self.other_key} signed by another key (not checked)"
        state = "chain intact" if self.intact else f"{len(self.problems)} problem(s); first: {self.problems[0].message}"
        return f"{span}; {marks}; {state}"


def verify_chain(
    records: Iterable[Mapping[str, Any]],
    checkpoints: Iterable[Mapping[str, Any]],
    public_raw: bytes | None,
    anchor: tuple[int, str] | None = None,
    head_seq: int | None = None,
    max_problems: int = 20,
) -> ChainReport:
    """Check records (in seq order) link and hash, and checkpoints sign what the records hold.

    `anchor` is (seq, hash) of the record before the first one read (None: the chain starts at seq 1);
    a record carrying `"omitted": true` has only seq, prev_hash and hash, and is linked but not rehashed.
    Each record is checked in this order: a gap in seq (records removed), a prev_hash that is not the stored
    hash of the record before (a record inserted or replaced there), a hash that is not its content's (a
    record changed). `head_seq` (the store's own count) past the last record means records were removed from
    the end."""
    report = ChainReport()

    def problem(kind: str, seq: int, message: str) -> None:
        if len(report.problems) < max_problems:
            report.problems.append(Problem(kind, seq, message))

    expected_seq, prev_hash = (1, GENESIS) if anchor is None else (anchor[0] + 1, anchor[1])
    stored: dict[int, str] = {}
    marks = list(checkpoints)  # few: kept to check once the records (which stream) are read
    report.checkpoints = len(marks)
    wanted = {int(c["seq"]) for c in marks}
    for record in records:
        seq = int(record["seq"])
        if report.first_seq is None:
            report.first_seq = seq
        report.last_seq = seq
        report.records += 1
        if seq > expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}..{seq - 1}"
            problem("removed", expected_seq, f"record(s) {missing} removed: seq jumps from {expected_seq - 1} to {seq}")
        elif seq < expected_seq:
            problem("inserted", seq, f"record {seq} appears again after record {expected_seq - 1}: inserted")
        if record["prev_hash"] != prev_hash and seq == expected_seq:
            problem("inserted", seq - 1, f"record {seq} does not link to record {seq - 1} (its prev_hash is not "
                                         f"that record's hash): record {seq - 1} was inserted or replaced")  # fmt: skip
        if record.get("omitted"):
            report.omitted += 1
        else:
            _check_content(record, seq, report, problem)
        if seq in wanted:
            stored[seq] = str(record["hash"])
        expected_seq, prev_hash = seq + 1, str(record["hash"])
    if head_seq is not None and report.last_seq is not None and head_seq > report.last_seq:
        problem("removed", report.last_seq + 1, f"record(s) {report.last_seq + 1}..{head_seq} removed from the end "
                                                f"(the store's head is at seq {head_seq})")  # fmt: skip
    _check_checkpoints(report, marks, stored, public_raw, problem)
    report.problems.sort(key=lambda p: p.seq)
    return report


def _check_content(
    record: Mapping[str, Any], seq: int, report: ChainReport, problem: Callable[[str, int, str], None]
) -> None:
    if is_erased(record):
        report.erased += 1
        if not record.get("format"):
            problem("changed", seq, f"record {seq} (id {record.get('id')}) holds erased content but is of the first "
                                    "format, which retention never erases: it was changed")  # fmt: skip
            return
    if record_hash(record) != record["hash"]:
        problem("changed", seq, f"record {seq} (id {record.get('id')}) was changed: its content does not hash "
                                "to its stored hash")  # fmt: skip


def _check_checkpoints(
    report: ChainReport,
    marks: Iterable[Mapping[str, Any]],
    stored: Mapping[int, str],
    public_raw: bytes | None,
    problem: Callable[[str, int, str], None],
) -> None:
    mine = key_id_of(public_raw) if public_raw is not None else None
    for cp in marks:
        seq = int(cp["seq"])
        if report.last_seq is not None and seq > report.last_seq:
            problem("removed", report.last_seq + 1, f"checkpoint at seq {seq} is past the last record "
                                                    f"({report.last_seq}): records removed from the end")  # fmt: skip
        elif seq in stored and stored[seq] != cp["hash"]:
            problem("changed", seq, f"record {seq} does not match the checkpoint at seq {seq}: the chain up to "
                                    f"it was rewritten")  # fmt: skip
        if not cp.get("signature"):
            report.unsigned += 1
        elif mine is None or cp.get("key_id") != mine:
            report.other_key += 1
        elif verify_signature(public_raw or b"", checkpoint_message(seq, float(cp["ts"]), str(cp["hash"])),
                              str(cp["signature"])):  # fmt: skip
            report.signed_ok += 1
        else:
            problem("checkpoint", seq, f"checkpoint at seq {seq}: its signature does not match (forged or changed)")


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _public_raw(pem_path: Path) -> bytes | None:
    if not pem_path.is_file():
        return None
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = serialization.load_pem_public_key(pem_path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise SystemExit(f"{pem_path}: not an Ed25519 public key")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def main(argv: list[str] | None = None) -> int:
    """Verify an export bundle: records.jsonl, checkpoints.jsonl, public_key.pem (optional), anchor.json."""
    args = sys.argv[1:] if argv is None else argv
    bundle = Path(args[0] if args else ".")
    anchor_file = bundle / "anchor.json"
    anchor = None
    if anchor_file.is_file():
        data = json.loads(anchor_file.read_text(encoding="utf-8"))
        anchor = None if data.get("seq") is None else (int(data["seq"]), str(data["hash"]))
    report = verify_chain(_read_jsonl(bundle / "records.jsonl"), _read_jsonl(bundle / "checkpoints.jsonl"),
                          _public_raw(bundle / "public_key.pem"), anchor)  # fmt: skip
    print(report.summary())
    for found in report.problems:
        print(f"  {found.kind}: {found.message}")
    return 0 if report.intact else 1


if __name__ == "__main__":
    sys.exit(main())
