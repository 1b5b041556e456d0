"""Changing a key (services/keys.py `update_api_key`, store/keys.py `update_key`) on SQLite and PostgreSQL:
only the fields given change, the rules are those of creation, a revoked key stays as it was, and the
change is visible to the gateways' directory refresh (`keys_changed_since`)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from rungway.domain.keys import KeyKind, Role
from rungway.errors import Conflict, InvalidRequest, NotFound
from rungway.services.keys import KeyChange, create_api_key, find_key, revoke_api_key, update_api_key
from rungway.store.engine import create_store_engine
from rungway.store.keys import keys_changed_since
from rungway.store.migrate import upgrade


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    made = create_store_engine(store_url)
    upgrade(made, [])
    try:
        yield made
    finally:
        made.dispose()


def test_only_the_fields_given_change_and_the_secret_workload_role_and_kind_never_do(engine: Engine) -> None:
    created = create_api_key(
        engine, workload="w", name="ci", owner="ana", role=Role.VIEWER, kind=KeyKind.PERSON, rpm_limit=5, tpm_limit=9
    )
    before = created.key
    after = update_api_key(engine, before.prefix, KeyChange(rpm_limit=50, allowed_models=("gpt-4o",)))
    assert (after.rpm_limit, after.allowed_models) == (50, ("gpt-4o",))
    assert (after.tpm_limit, after.name, after.owner, after.expires_at) == (9, "ci", "ana", None)
    for fixed in ("id", "prefix", "key_hash", "workload", "role", "kind", "created_at", "revoked_at"):
        assert getattr(after, fixed) == getattr(before, fixed), fixed
    later = time.time() + 3600
    cleared = update_api_key(engine, before.id, KeyChange(tpm_limit=None, owner=None, expires_at=later))
    assert (cleared.tpm_limit, cleared.owner, cleared.expires_at, cleared.rpm_limit) == (None, None, later, 50)
    assert find_key(engine, before.id) == cleared


def test_a_change_moves_the_key_into_the_directory_refresh(engine: Engine) -> None:
    key = create_api_key(engine, workload="w").key
    since = time.time()
    assert [k.id for k in keys_changed_since(engine, since)] == []
    update_api_key(engine, key.id, KeyChange(rpm_limit=1), now=since + 1)
    assert [(k.id, k.rpm_limit) for k in keys_changed_since(engine, since)] == [(key.id, 1)]


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
def test_a_change_is_checked_like_a_new_key(engine: Engine, change: KeyChange, param: str) -> None:
    key = create_api_key(engine, workload="w", rpm_limit=5).key
    with pytest.raises(InvalidRequest) as refused:
        update_api_key(engine, key.id, change)
    assert refused.value.param == param
    assert find_key(engine, key.id) == key


def test_creation_refuses_what_a_change_refuses(engine: Engine) -> None:
    for fields, param in (
        ({"name": "x" * 129}, "name"),
        ({"allowed_models": ("m",) * 257}, "allowed_models"),
        ({"rpm_limit": 0}, "rpm_limit"),
    ):
        with pytest.raises(InvalidRequest) as refused:
            create_api_key(engine, workload="w", **fields)
        assert refused.value.param == param


def test_an_empty_change_a_revoked_key_and_an_unknown_key_are_refused(engine: Engine) -> None:
    key = create_api_key(engine, workload="w", rpm_limit=5).key
    with pytest.raises(InvalidRequest, match="nothing to change"):
        update_api_key(engine, key.id, KeyChange())
    revoked = revoke_api_key(engine, key.id)
    with pytest.raises(Conflict, match="revoked"):
        update_api_key(engine, key.id, KeyChange(rpm_limit=500))
    assert find_key(engine, key.id) == revoked
    with pytest.raises(NotFound):
        update_api_key(engine, "key_nope", KeyChange(rpm_limit=1))
