"""Audit records and checkpoints as typed values, and the redaction applied before anything is recorded.

A `RecordDraft` is what a caller knows of a change (who, through what, which object, before and after); the
store gives it its place in the chain (`seq`, `prev_hash`) and its `hash` under the append lock, making an
`AuditRecord`. `request`, `before` and `after` are kept as canonical JSON text, bounded, with secrets removed: the chain
hashes the text as stored, so a verifier never re-encodes a value.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from rungway.audit.chain import FORMAT, GENESIS, record_hash

__all__ = [
    "GENESIS",
    "MAX_JSON_BYTES",
    "REDACTED",
    "SECRET_FIELDS",
    "VIA",
    "AuditRecord",
    "Checkpoint",
    "RecordDraft",
    "bounded_json",
    "redact",
]

VIA = ("api", "ui", "cli", "system")  # system: the server itself (retention)
MAX_JSON_BYTES = 16_384  # a before/after larger than this is kept as a note of its size, not its content
REDACTED = "[redacted]"
# Field names whose values are never stored: keys' secrets, passwords, API keys, tokens (matched case-insensitively,
# on the whole name or as a suffix after `_` / `-`: `admin_key`, `client-secret`).
SECRET_FIELDS = ("secret", "password", "passwd", "api_key", "apikey", "key", "token", "csrf_token", "authorization",
                 "private_key", "signing_key", "webhook_secret", "credentials", "key_hash")  # fmt: skip


def _is_secret(name: str) -> bool:
    low = name.lower()
    return any(low == s or low.endswith(("_" + s, "-" + s)) for s in SECRET_FIELDS)


def redact(value: Any) -> Any:
    """`value` with every secret field's value replaced by REDACTED, at any depth (and integers past 64 bits
    as text)."""
    if isinstance(value, Mapping):
        return {str(k): REDACTED if _is_secret(str(k)) and not isinstance(v, Mapping | list) else redact(v)
                for k, v in value.items()}  # fmt: skip
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        return str(value)  # kept as text: JSON readers (and the API's encoder) stop at 64-bit integers
    return value


def bounded_json(value: Any, limit: int = MAX_JSON_BYTES) -> str | None:
    """Canonical JSON text of `value` redacted, or a note of its size when over `limit` bytes; None for None."""
    if value is None:
        return None
    try:
        text = json.dumps(redact(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError):  # not JSON (bytes, NaN): recorded as its type, never as a crash
        text = f'{{"unrecorded":{json.dumps(type(value).__name__)}}}'
    if len(text) > limit:
        return f'{{"truncated_bytes":{len(text)}}}'
    return text


@dataclass(frozen=True, slots=True)
class RecordDraft:
    """A change to record, before the chain places it."""

    actor: str  # a person or a key's owner ("admin" for the server's admin key, "cli" on the store directly)
    via: str  # api | ui | cli
    action: str  # e.g. "keys.create", or "POST /api/keys/{key_id}"
    status: int  # the HTTP status answered (200 for a CLI change that succeeded)
    key_id: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    workload: str | None = None
    request: str | None = None  # the request's body: canonical JSON text (`bounded_json`), secrets removed
    before: str | None = None  # the object before the change, likewise
    after: str | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """A record in the chain: its draft, its place (seq, prev_hash) and the hash sealing both."""

    seq: int
    id: str
    ts: float
    actor: str
    key_id: str | None
    via: str
    action: str
    object_type: str | None
    object_id: str | None
    workload: str | None
    request: str | None
    before: str | None
    after: str | None
    status: int
    prev_hash: str
    hash: str
    format: int | None = FORMAT  # None: the first format (content hashed as text, never erased)

    @classmethod
    def seal(cls, draft: RecordDraft, seq: int, ts: float, prev_hash: str) -> AuditRecord:
        """The draft placed at `seq` after a record hashed `prev_hash`, with its own hash."""
        fields: dict[str, Any] = {
            "seq": seq, "id": f"aud_{secrets.token_hex(10)}", "ts": round(ts, 6), "actor": draft.actor,
            "key_id": draft.key_id, "via": draft.via, "action": draft.action, "object_type": draft.object_type,
            "object_id": draft.object_id, "workload": draft.workload, "request": draft.request,
            "before": draft.before, "after": draft.after, "status": draft.status, "prev_hash": prev_hash,
            "format": FORMAT,
        }  # fmt: skip
        return cls(**fields, hash=record_hash(fields))

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain's hash at `seq`, signed (Ed25519, base64) by the key `key_id`, or unsigned (both None)."""

    seq: int
    ts: float
    hash: str
    signature: str | None
    key_id: str | None

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
