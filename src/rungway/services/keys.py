"""Creating and revoking API keys: the use case behind `rungway keys` and `/api/keys`."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Engine

from rungway.domain.ids import new_id
from rungway.domain.keys import ApiKey, Role, generate_key, hash_key, visible_prefix
from rungway.domain.workloads import Workload, valid_workload_name
from rungway.errors import InvalidRequest
from rungway.store.keys import insert_key
from rungway.store.workloads import create_workload, get_workload


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
    )
    insert_key(engine, key)
    return CreatedKey(key, secret, created)
