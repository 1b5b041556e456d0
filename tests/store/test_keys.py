"""The API keys table (`store/keys.py`) on SQLite and PostgreSQL: stored whole, found by hash, id or
visible prefix, listed, revoked once, and picked up by the gateway's cache through `updated_at`."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine

from rungway.capability import migration_packages
from rungway.domain.keys import ApiKey, Role
from rungway.store.engine import create_store_engine
from rungway.store.keys import insert_key, key_by_hash, key_by_id, keys_changed_since, list_keys, revoke_key
from rungway.store.migrate import upgrade


@pytest.fixture
def engine(store_url: str) -> Engine:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    return engine


def _key(n: int, workload: str = "test", **kwargs: object) -> ApiKey:
    fields: dict[str, object] = {"created_at": 1_000.0 + n}
    fields.update(kwargs)
    return ApiKey(f"key_{n}", f"rw-prefix{n:03d}", f"hash{n}", f"key {n}", workload, **fields)  # type: ignore[arg-type]


def test_a_key_is_read_back_whole_by_hash_id_or_prefix(engine: Engine) -> None:
    key = _key(1, owner="ann", role=Role.ADMIN, allowed_models=("gpt-4o", "gpt-4o-mini"), rpm_limit=60,
               tpm_limit=1000, expires_at=9e9, metadata={"team": "qa"})  # fmt: skip
    insert_key(engine, key)
    assert key_by_hash(engine, "hash1") == key
    assert key_by_id(engine, "key_1") == key == key_by_id(engine, "rw-prefix001")
    assert key_by_hash(engine, "nope") is None and key_by_id(engine, "nope") is None


def test_keys_are_listed_oldest_first_by_workload_without_revoked_ones_unless_asked(engine: Engine) -> None:
    for n, workload in ((3, "a"), (1, "a"), (2, "b")):
        insert_key(engine, _key(n, workload))
    assert revoke_key(engine, "key_3")
    assert [k.id for k in list_keys(engine)] == ["key_1", "key_2"]
    assert [k.id for k in list_keys(engine, "a")] == ["key_1"]
    assert [k.id for k in list_keys(engine, "a", include_revoked=True)] == ["key_1", "key_3"]


def test_a_key_is_revoked_once_by_id_or_prefix(engine: Engine) -> None:
    insert_key(engine, _key(1))
    assert revoke_key(engine, "rw-prefix001", when=1_234.0)
    assert not revoke_key(engine, "key_1") and not revoke_key(engine, "key_none")
    revoked = key_by_id(engine, "key_1")
    assert revoked is not None and revoked.revoked_at == 1_234.0 and not revoked.is_active(2_000.0)


def test_changed_keys_are_those_created_or_revoked_since(engine: Engine) -> None:
    insert_key(engine, _key(1))
    since = time.time()
    assert keys_changed_since(engine, since + 1) == []
    insert_key(engine, _key(2))
    revoke_key(engine, "key_1")
    assert sorted(k.id for k in keys_changed_since(engine, since)) == ["key_1", "key_2"]
