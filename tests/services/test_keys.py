"""Creating, finding, revoking and showing API keys (`services/keys.py`), as the API and CLI do."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine

from rungway.capability import migration_packages
from rungway.domain.keys import Role, hash_key
from rungway.errors import InvalidRequest, NotFound
from rungway.services.keys import create_api_key, describe_key, find_key, resolve_expiry, revoke_api_key
from rungway.store.engine import create_store_engine
from rungway.store.keys import key_by_hash
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
