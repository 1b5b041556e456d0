"""API keys (`domain/keys.py`): generation, hashing, roles, expiry and model allow-lists."""

from __future__ import annotations

import hashlib
import re

from rungway.domain.keys import ApiKey, Role, generate_key, hash_key, visible_prefix


def test_a_new_key_is_rw_and_40_url_safe_characters_and_never_repeats() -> None:
    keys = {generate_key() for _ in range(1000)}
    assert len(keys) == 1000
    assert all(re.fullmatch(r"rw-[A-Za-z0-9]{40}", k) for k in keys)


def test_the_store_keeps_the_sha256_and_a_visible_prefix() -> None:
    secret = "rw-abcd1234" + "x" * 32
    assert hash_key(secret) == hashlib.sha256(secret.encode()).hexdigest()
    assert visible_prefix(secret) == "rw-abcd1234"


def test_roles_allow_what_lower_roles_allow() -> None:
    assert Role.ADMIN.allows(Role.DEVELOPER) and Role.ADMIN.allows(Role.VIEWER)
    assert Role.DEVELOPER.allows(Role.VIEWER) and Role.DEVELOPER.allows(Role.DEVELOPER)
    assert not Role.DEVELOPER.allows(Role.ADMIN) and not Role.VIEWER.allows(Role.DEVELOPER)


def _key(**kwargs: object) -> ApiKey:
    return ApiKey("key_1", "rw-abcd1234", "h", "n", "test", **kwargs)  # type: ignore[arg-type]


def test_a_key_is_active_until_it_is_revoked_or_expires() -> None:
    assert _key().is_active(1e12)
    assert _key(expires_at=100.0).is_active(99.9) and not _key(expires_at=100.0).is_active(100.0)
    assert _key(revoked_at=50.0).is_active(49.0) and not _key(revoked_at=50.0).is_active(50.0)


def test_a_model_allow_list_limits_the_models_a_key_may_use() -> None:
    assert _key().may_use("anything")
    allowed = _key(allowed_models=("gpt-4o-mini",))
    assert allowed.may_use("gpt-4o-mini") and not allowed.may_use("gpt-4o")
