"""API keys in the store: only the hash and a visible prefix are kept."""

from __future__ import annotations

import time
from typing import Any

import orjson
from sqlalchemy import Engine, insert, select, update

from rungway.domain.keys import ApiKey, KeyKind, Role
from rungway.store.schema import api_keys


def _key(row: Any) -> ApiKey:
    m = row._mapping
    return ApiKey(
        id=m["id"],
        prefix=m["prefix"],
        key_hash=m["key_hash"],
        name=m["name"],
        workload=m["workload"],
        owner=m["owner"],
        role=Role(m["role"]),
        allowed_models=tuple(orjson.loads(m["allowed_models"] or "[]")),
        rpm_limit=m["rpm_limit"],
        tpm_limit=m["tpm_limit"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        revoked_at=m["revoked_at"],
        metadata=orjson.loads(m["metadata"] or "{}"),
        kind=KeyKind(m["kind"] or KeyKind.APPLICATION),
    )


def insert_key(engine: Engine, key: ApiKey) -> None:
    now = time.time()
    with engine.begin() as conn:
        conn.execute(
            insert(api_keys).values(
                id=key.id,
                prefix=key.prefix,
                key_hash=key.key_hash,
                name=key.name,
                workload=key.workload,
                owner=key.owner,
                role=key.role.value,
                allowed_models=orjson.dumps(list(key.allowed_models)).decode(),
                rpm_limit=key.rpm_limit,
                tpm_limit=key.tpm_limit,
                metadata=orjson.dumps(key.metadata).decode(),
                created_at=key.created_at or now,
                updated_at=now,
                expires_at=key.expires_at,
                revoked_at=key.revoked_at,
                kind=key.kind.value,
            )
        )


def key_by_hash(engine: Engine, key_hash: str) -> ApiKey | None:
    with engine.connect() as conn:
        row = conn.execute(select(api_keys).where(api_keys.c.key_hash == key_hash)).first()
    return _key(row) if row is not None else None


def key_by_id(engine: Engine, key_id: str) -> ApiKey | None:
    with engine.connect() as conn:
        row = conn.execute(select(api_keys).where((api_keys.c.id == key_id) | (api_keys.c.prefix == key_id))).first()
    return _key(row) if row is not None else None


def list_keys(engine: Engine, workload: str | None = None, include_revoked: bool = False) -> list[ApiKey]:
    q = select(api_keys).order_by(api_keys.c.created_at)
    if workload:
        q = q.where(api_keys.c.workload == workload)
    if not include_revoked:
        q = q.where(api_keys.c.revoked_at.is_(None))
    with engine.connect() as conn:
        return [_key(r) for r in conn.execute(q)]


def keys_changed_since(engine: Engine, since: float) -> list[ApiKey]:
    """Keys created, revoked or changed after `since` (for the gateway's in-memory key cache)."""
    with engine.connect() as conn:
        return [_key(r) for r in conn.execute(select(api_keys).where(api_keys.c.updated_at >= since))]


def revoke_key(engine: Engine, key_id: str, when: float | None = None) -> bool:
    now = time.time()
    with engine.begin() as conn:
        result = conn.execute(
            update(api_keys)
            .where(((api_keys.c.id == key_id) | (api_keys.c.prefix == key_id)) & api_keys.c.revoked_at.is_(None))
            .values(revoked_at=when or now, updated_at=now)
        )
    return result.rowcount > 0
