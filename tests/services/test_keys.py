"""Creating, finding, changing, revoking and showing API keys (`services/keys.py`), as the API, CLI and
dashboard do. A change (`update_api_key`, store/keys.py `update_key`) is tested on SQLite and PostgreSQL:
only the fields given change, the rules are those of creation, a revoked key stays as it was, and the
change is visible to the gateways' directory refresh (`keys_changed_since`)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from rungway.capability import migration_packages
from rungway.domain.keys import KeyKind, Role, hash_key
from rungway.errors import Conflict, InvalidRequest, NotFound
from rungway.services.keys import (
    KeyChange,
    create_api_key,
    describe_key,
    find_key,
    resolve_expiry,
    revoke_api_key,
    update_api_key,
)
from rungway.store.engine import create_store_engine
from rungway.store.keys import key_by_hash, keys_changed_since
from rungway.store.migrate import upgrade
from rungway.store.workloads import get_workload


@pytest.fixture
def engine(sqlite_url: str) -> Engine:
    engine = create_store_engine(sqlite_url)
    upgrade(engine, migration_packages())
    return engine


def test_a_new_key_stores_only_its_hash_and_creates_its_workload(engine: Engine) -> None:
    created = create_api_key(engine, workload="support-bot", owner="ann", role=Role.VIEWER, rpm_limit=5)
    assert created.workload_created and get_workload(engine, "support-bot") is not None
    assert key_by_hash(engine, hash_key(created.secret)) == created.key
    assert created.key.name == "support-bot key" and created.key.prefix == created.secret[:11]
    again = create_api_key(engine, workload="support-bot", name="second")
    assert not again.workload_created and again.key.name == "second" and again.secret != created.secret


def test_a_key_for_a_bad_workload_name_or_already_expired_is_refused(engine: Engine) -> None:
    with pytest.raises(InvalidRequest) as caught:
        create_api_key(engine, workload="Support Bot")
    assert caught.value.param == "workload"
    with pytest.raises(InvalidRequest) as caught:
        create_api_key(engine, workload="bot", expires_at=time.time() - 1)
    assert caught.value.param == "expires_at"
    assert get_workload(engine, "bot") is None  # nothing was created for a refused key


@pytest.mark.parametrize(
    ("expires_at", "expires_in", "expected"),
    [
        (None, None, None),
        (None, "30d", 1_000_000.0 + 30 * 86400),
        (None, "12h", 1_000_000.0 + 12 * 3600),
        (2_000_000, None, 2_000_000.0),
        ("2030-01-01", None, 1_893_456_000.0),
    ],
)
def test_expiry_from_a_date_epoch_or_duration(expires_at: str | float | None, expires_in: str | None,
                                              expected: float | None) -> None:  # fmt: skip
    assert resolve_expiry(expires_at, expires_in, 1_000_000.0) == expected


def test_a_bad_expiry_names_the_field() -> None:
    with pytest.raises(InvalidRequest) as caught:
        resolve_expiry("2030-01-01", "30d", 0.0)
    assert caught.value.param == "expires_in" and "not both" in caught.value.message
    with pytest.raises(InvalidRequest) as caught:
        resolve_expiry(None, "soon", 0.0)
    assert caught.value.param == "expires_in"
    with pytest.raises(InvalidRequest) as caught:
        resolve_expiry("next tuesday", None, 0.0)
    assert caught.value.param == "expires_at"


def test_revoking_is_idempotent_and_an_unknown_key_is_a_404_saying_how_to_list(engine: Engine) -> None:
    created = create_api_key(engine, workload="bot")
    first = revoke_api_key(engine, created.key.prefix)
    again = revoke_api_key(engine, created.key.id)
    assert first.revoked_at is not None and again.revoked_at == first.revoked_at
    with pytest.raises(NotFound) as caught:
        find_key(engine, "key_missing")
    assert "rungway keys list" in caught.value.message and caught.value.param == "key_id"


def test_a_shown_key_has_its_status_and_never_its_hash(engine: Engine) -> None:
    key = create_api_key(engine, workload="bot", expires_at=time.time() + 3600).key
    shown = describe_key(key)
    assert shown["status"] == "active" and "key_hash" not in shown and shown["role"] == "developer"
    assert describe_key(key, now=key.expires_at)["status"] == "expired"  # type: ignore[arg-type]
    revoked = revoke_api_key(engine, key.id)
    assert describe_key(revoked)["status"] == "revoked"


@pytest.fixture
def any_store(store_url: str) -> Iterator[Engine]:
    """A migrated store on SQLite, then on PostgreSQL."""
    made = create_store_engine(store_url)
    upgrade(made, [])
    try:
        yield made
    finally:
        made.dispose()


def test_only_the_fields_given_change_and_the_secret_workload_role_and_kind_never_do(any_store: Engine) -> None:
    created = create_api_key(
        any_store, workload="w", name="ci", owner="ana", role=Role.VIEWER, kind=KeyKind.PERSON, rpm_limit=5, tpm_limit=9
    )
    before = created.key
    after = update_api_key(any_store, before.prefix, KeyChange(rpm_limit=50, allowed_models=("gpt-4o",)))
    assert (after.rpm_limit, after.allowed_models) == (50, ("gpt-4o",))
    assert (after.tpm_limit, after.name, after.owner, after.expires_at) == (9, "ci", "ana", None)
    for fixed in ("id", "prefix", "key_hash", "workload", "role", "kind", "created_at", "revoked_at"):
        assert getattr(after, fixed) == getattr(before, fixed), fixed
    later = time.time() + 3600
    cleared = update_api_key(any_store, before.id, KeyChange(tpm_limit=None, owner=None, expires_at=later))
    assert (cleared.tpm_limit, cleared.owner, cleared.expires_at, cleared.rpm_limit) == (None, None, later, 50)
    assert find_key(any_store, before.id) == cleared


def test_a_change_moves_the_key_into_the_directory_refresh(any_store: Engine) -> None:
    key = create_api_key(any_store, workload="w").key
    since = time.time()
    assert [k.id for k in keys_changed_since(any_store, since)] == []
    update_api_key(any_store, key.id, KeyChange(rpm_limit=1), now=since + 1)
    assert [(k.id, k.rpm_limit) for k in keys_changed_since(any_store, since)] == [(key.id, 1)]


@pytest.mark.parametrize(
    ("change", "param"),
    [
        (KeyChange(rpm_limit=0), "rpm_limit"),
        (KeyChange(tpm_limit=2**63), "tpm_limit"),
        (KeyChange(name=""), "name"),
        (KeyChange(name="x" * 129), "name"),
        (KeyChange(owner="a\nb"), "owner"),
        (KeyChange(allowed_models=("",)), "allowed_models"),
        (KeyChange(allowed_models=("m",) * 257), "allowed_models"),
        (KeyChange(expires_at=1.0), "expires_at"),
    ],
)
def test_a_change_is_checked_like_a_new_key(any_store: Engine, change: KeyChange, param: str) -> None:
    key = create_api_key(any_store, workload="w", rpm_limit=5).key
    with pytest.raises(InvalidRequest) as refused:
        update_api_key(any_store, key.id, change)
    assert refused.value.param == param
    assert find_key(any_store, key.id) == key


def test_creation_refuses_what_a_change_refuses(any_store: Engine) -> None:
    for fields, param in (
        ({"name": "x" * 129}, "name"),
        ({"allowed_models": ("m",) * 257}, "allowed_models"),
        ({"rpm_limit": 0}, "rpm_limit"),
    ):
        with pytest.raises(InvalidRequest) as refused:
            create_api_key(any_store, workload="w", **fields)
        assert refused.value.param == param


def test_an_empty_change_a_revoked_key_and_an_unknown_key_are_refused(any_store: Engine) -> None:
    key = create_api_key(any_store, workload="w", rpm_limit=5).key
    with pytest.raises(InvalidRequest, match="nothing to change"):
        update_api_key(any_store, key.id, KeyChange())
    revoked = revoke_api_key(any_store, key.id)
    with pytest.raises(Conflict, match="revoked"):
        update_api_key(any_store, key.id, KeyChange(rpm_limit=500))
    assert find_key(any_store, key.id) == revoked
    with pytest.raises(NotFound):
        update_api_key(any_store, "key_nope", KeyChange(rpm_limit=1))
