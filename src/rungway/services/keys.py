"""Creating, changing and revoking API keys: the use case behind `rungway keys`, `/api/keys` and `/ui/keys`.

Every caller-chosen field of a key (name, owner, allowed models, limits, expiry) is checked here,
once, with the same rules whether the key is being created or changed: the CLI, the API and the
dashboard hand over loose values and get an `InvalidRequest` naming the field and what to write.
A key's secret, hash, workload, role and kind are fixed when it is made: a change never touches them.
"""

from __future__ import annotations

import dataclasses
import enum
import time
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine

from rungway.domain.bounds import has_control_characters
from rungway.domain.ids import new_id
from rungway.domain.keys import ApiKey, KeyKind, Role, generate_key, hash_key, visible_prefix
from rungway.domain.timespec import TimeSpecError, parse_duration, parse_instant
from rungway.domain.workloads import Workload, valid_workload_name
from rungway.errors import Conflict, InvalidRequest, NotFound
from rungway.settings.config import INT64_MAX
from rungway.store.keys import insert_key, key_by_id, revoke_key, update_key
from rungway.store.workloads import create_workload, get_workload

__all__ = [
    "KEEP",
    "MAX_ALLOWED_MODELS",
    "CreatedKey",
    "KeyChange",
    "Unchanged",
    "create_api_key",
    "describe_key",
    "find_key",
    "resolve_expiry",
    "revoke_api_key",
    "update_api_key",
]

MAX_ALLOWED_MODELS = 256
"""Model names a key may be limited to (each at most 128 characters, as `/api/keys` documents)."""
_T = TypeVar("_T")


class Unchanged(enum.Enum):
    """The mark of a field a `KeyChange` leaves as it is (None means "clear it", so it cannot mean this)."""

    KEEP = "keep"


KEEP = Unchanged.KEEP


@dataclass(frozen=True, slots=True)
class KeyChange:
    """What an admin may change on an existing key; each field is `KEEP` or its new value.

    None clears a limit (the key then has only `limits.key_rpm`/`key_tpm` and its workload's), the
    owner or the expiry (never expires); an empty `allowed_models` allows any model."""

    name: str | Unchanged = KEEP
    owner: str | Unchanged | None = KEEP
    allowed_models: tuple[str, ...] | Unchanged = KEEP
    rpm_limit: int | Unchanged | None = KEEP
    tpm_limit: int | Unchanged | None = KEEP
    expires_at: float | Unchanged | None = KEEP

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is KEEP for f in dataclasses.fields(self))


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A new key and its secret, which is shown once and never stored."""

    key: ApiKey
    secret: str
    workload_created: bool


def create_api_key(
    engine: Engine,
    *,
    workload: str,
    name: str = "",
    owner: str | None = None,
    role: Role = Role.DEVELOPER,
    allowed_models: tuple[str, ...] = (),
    rpm_limit: int | None = None,
    tpm_limit: int | None = None,
    expires_at: float | None = None,
    kind: KeyKind = KeyKind.APPLICATION,
) -> CreatedKey:
    """Create a key for `workload`, creating the workload with defaults if it does not exist yet."""
    if not valid_workload_name(workload):
        raise InvalidRequest(
            f"invalid workload name {workload!r}: use lowercase letters, digits, '.', '_' or '-'", param="workload"
        )
    name, owner = name or f"{workload} key", owner or None
    _check_fields(name, owner, allowed_models, rpm_limit, tpm_limit)
    _check_expiry(expires_at, time.time())
    created = False
    if get_workload(engine, workload) is None:
        created = create_workload(engine, Workload(name=workload))
    secret = generate_key()
    key = ApiKey(
        id=new_id("key_"),
        prefix=visible_prefix(secret),
        key_hash=hash_key(secret),
        name=name,
        workload=workload,
        owner=owner,
        role=role,
        allowed_models=allowed_models,
        rpm_limit=rpm_limit,
        tpm_limit=tpm_limit,
        created_at=time.time(),
        expires_at=expires_at,
        kind=kind,
    )
    insert_key(engine, key)
    return CreatedKey(key, secret, created)


def _check_text(field: str, value: str | None, longest: int, *, optional: bool) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value or len(value) > longest or has_control_characters(value):
        raise InvalidRequest(
            f"{field} must be text of 1 to {longest} characters without control characters, got {value!r}", param=field
        )


def _check_limit(field: str, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= INT64_MAX:
        raise InvalidRequest(f"{field} must be a whole number >= 1 or null (no key limit), got {value!r}", param=field)


def _check_fields(
    name: str, owner: str | None, models: tuple[str, ...], rpm_limit: int | None, tpm_limit: int | None
) -> None:
    """The rules for a key's caller-chosen fields, the same at creation and at every change."""
    _check_text("name", name, 128, optional=False)
    _check_text("owner", owner, 256, optional=True)
    if len(models) > MAX_ALLOWED_MODELS:
        raise InvalidRequest(
            f"allowed_models: at most {MAX_ALLOWED_MODELS} model names, got {len(models)}", param="allowed_models"
        )
    for model in models:
        _check_text("allowed_models", model, 128, optional=False)
    _check_limit("rpm_limit", rpm_limit)
    _check_limit("tpm_limit", tpm_limit)


def _check_expiry(expires_at: float | None, now: float) -> None:
    if expires_at is not None and expires_at <= now:
        raise InvalidRequest("expires_at is in the past", param="expires_at")


def resolve_expiry(expires_at: str | float | None, expires_in: str | None, now: float) -> float | None:
    """Epoch seconds from `expires_at` (ISO date/time or epoch seconds) or `expires_in` (`30d`, `12h`)."""
    if expires_at is not None and expires_in is not None:
        raise InvalidRequest("give expires_at or expires_in, not both", param="expires_in")
    try:
        if expires_in is not None:
            return now + parse_duration(expires_in)
        if expires_at is None:
            return None
        if isinstance(expires_at, int | float) and not isinstance(expires_at, bool):
            return float(expires_at)
        return parse_instant(str(expires_at), now)
    except TimeSpecError as exc:
        raise InvalidRequest(str(exc), param="expires_in" if expires_in is not None else "expires_at") from None


def find_key(engine: Engine, key_id: str) -> ApiKey:
    """The key with this id or visible prefix."""
    key = key_by_id(engine, key_id)
    if key is None:
        raise NotFound(f"no API key with id or prefix {key_id!r}; list them with `rungway keys list`", param="key_id")
    return key


def revoke_api_key(engine: Engine, key_id: str) -> ApiKey:
    """Revoke a key (idempotent) and return it as stored; gateways stop accepting it within a second."""
    key = find_key(engine, key_id)
    if key.revoked_at is None:
        revoke_key(engine, key.id)
    return find_key(engine, key.id)


def _pick(new: _T | Unchanged, old: _T) -> _T:
    return old if isinstance(new, Unchanged) else new


def update_api_key(engine: Engine, key_id: str, change: KeyChange, now: float | None = None) -> ApiKey:
    """Change a key's limits, allowed models, expiry, name or owner and return it as stored.

    Checked as at creation; a revoked key is refused with a Conflict (revoking is final). The store
    row's `updated_at` moves, so every gateway's directory picks the change up at its next refresh."""
    if change.is_empty():
        raise InvalidRequest(
            "nothing to change: give at least one of name, owner, allowed_models, rpm_limit, tpm_limit, expires_at"
        )
    now = time.time() if now is None else now
    key = find_key(engine, key_id)
    if key.revoked_at is not None:
        raise Conflict(
            f"API key {key.id} is revoked and cannot be changed; create a new one with `rungway keys create`",
            param="key_id",
        )
    changed = dataclasses.replace(
        key,
        name=_pick(change.name, key.name),
        owner=_pick(change.owner, key.owner) or None,
        allowed_models=_pick(change.allowed_models, key.allowed_models),
        rpm_limit=_pick(change.rpm_limit, key.rpm_limit),
        tpm_limit=_pick(change.tpm_limit, key.tpm_limit),
        expires_at=_pick(change.expires_at, key.expires_at),
    )
    _check_fields(changed.name, changed.owner, changed.allowed_models, changed.rpm_limit, changed.tpm_limit)
    if not isinstance(change.expires_at, Unchanged):
        _check_expiry(change.expires_at, now)
    if not update_key(engine, changed, now):  # revoked between the read and the write
        raise Conflict(f"API key {key.id} was revoked meanwhile and cannot be changed", param="key_id")
    return find_key(engine, key.id)


def describe_key(key: ApiKey, now: float | None = None) -> dict[str, Any]:
    """A key's public fields: everything except the hash (the secret itself is never stored)."""
    now = time.time() if now is None else now
    if key.revoked_at is not None and key.revoked_at <= now:
        status = "revoked"
    elif key.expires_at is not None and key.expires_at <= now:
        status = "expired"
    else:
        status = "active"
    return {
        "id": key.id,
        "prefix": key.prefix,
        "name": key.name,
        "workload": key.workload,
        "owner": key.owner,
        "role": key.role.value,
        "kind": key.kind.value,
        "allowed_models": list(key.allowed_models),
        "rpm_limit": key.rpm_limit,
        "tpm_limit": key.tpm_limit,
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
        "status": status,
    }
