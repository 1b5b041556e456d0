"""Creating and revoking API keys: the use case behind `rungway keys` and `/api/keys`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from rungway.domain.ids import new_id
from rungway.domain.keys import ApiKey, KeyKind, Role, generate_key, hash_key, visible_prefix
from rungway.domain.timespec import TimeSpecError, parse_duration, parse_instant
from rungway.domain.workloads import Workload, valid_workload_name
from rungway.errors import InvalidRequest, NotFound
from rungway.store.keys import insert_key, key_by_id, revoke_key
from rungway.store.workloads import create_workload, get_workload

__all__ = [
    "CreatedKey",
    "create_api_key",
    "describe_key",
    "find_key",
    "resolve_expiry",
    "revoke_api_key",
]


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
    if expires_at is not None and expires_at <= time.time():
        raise InvalidRequest("expires_at is in the past", param="expires_at")
    created = False
    if get_workload(engine, workload) is None:
        created = create_workload(engine, Workload(name=workload))
    secret = generate_key()
    key = ApiKey(
        id=new_id("key_"),
        prefix=visible_prefix(secret),
        key_hash=hash_key(secret),
        name=name or f"{workload} key",
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
