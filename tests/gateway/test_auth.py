"""Authenticating gateway calls (`gateway/auth.py`): the key from each header style, clear 401s for a
missing, unknown, revoked or expired key, and the admin key sent to /v1 named as such, with what to use
instead, not reported as an incorrect key."""

from __future__ import annotations

import dataclasses
import time

import openai
import pytest

from rungway.gateway.auth import bearer_secret
from rungway.store.keys import key_by_id, revoke_key
from tests.api.http import ADMIN
from tests.gateway.test_raw_http import error_of, http
from tests.servers import Gateway


def test_admin_key_on_v1_says_it_is_for_the_management_api_and_a_workload_key_is_needed(gateway: Gateway) -> None:
    with pytest.raises(openai.PermissionDeniedError) as caught:
        gateway.sdk(ADMIN).chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    error = caught.value.body
    assert isinstance(error, dict), error
    assert error["code"] == "admin_key_not_for_gateway"
    assert "management API" in error["message"] and "rungway keys create --workload" in error["message"]
    assert "Incorrect API key" not in error["message"] and ADMIN not in error["message"]


def test_an_unknown_key_on_v1_is_still_an_incorrect_key(gateway: Gateway) -> None:
    with pytest.raises(openai.AuthenticationError, match="Incorrect API key"):
        gateway.sdk("rw-not-a-key").models.list()


@pytest.mark.parametrize(
    ("headers", "secret"),
    [
        ({"Authorization": "Bearer rw-abc"}, "rw-abc"),
        ({"Authorization": "bearer   rw-abc  "}, "rw-abc"),
        ({"api-key": "rw-azure"}, "rw-azure"),
        ({"x-api-key": "rw-anthropic"}, "rw-anthropic"),
        ({"Authorization": "Basic dXNlcjpwYXNz", "x-api-key": "rw-other"}, None),  # Authorization decides
        ({"Authorization": "Bearer "}, None),
        ({}, None),
    ],
)
def test_the_key_is_read_from_each_header_style(headers: dict[str, str], secret: str | None) -> None:
    assert bearer_secret(headers) == secret


def _models(gw: Gateway, **headers: str) -> tuple[int, dict[str, object]]:
    status, _, body = http(gw.openai_base + "/models", headers=headers)
    return status, error_of(body) if status != 200 else {}


def test_a_key_in_an_azure_or_anthropic_style_header_is_accepted(gateway: Gateway) -> None:
    key = gateway.create_key()
    assert _models(gateway, **{"api-key": key.secret})[0] == 200
    assert _models(gateway, **{"x-api-key": key.secret})[0] == 200


def test_a_missing_or_unknown_key_is_a_401_that_never_echoes_the_secret(gateway: Gateway) -> None:
    status, error = _models(gateway)
    assert status == 401 and error["code"] == "missing_api_key" and "rungway keys create" in str(error["message"])
    status, error = _models(gateway, Authorization="Bearer rw-secretsecretsecret")
    assert status == 401 and error["code"] == "invalid_api_key"
    assert "rw-secr***" in str(error["message"]) and "secretsecret" not in str(error["message"])


def test_a_revoked_or_expired_key_says_which(gateway: Gateway) -> None:
    revoked = gateway.create_key()
    revoke_key(gateway.state.engine, revoked.key.id)
    stored = key_by_id(gateway.state.engine, revoked.key.id)
    assert stored is not None
    gateway.state.directory.put_key(stored)
    status, error = _models(gateway, Authorization=f"Bearer {revoked.secret}")
    assert status == 401 and error["code"] == "api_key_revoked"
    expiring = gateway.create_key(expires_at=time.time() + 3600)
    gateway.state.directory.put_key(dataclasses.replace(expiring.key, expires_at=time.time() - 1))  # its time came
    status, error = _models(gateway, Authorization=f"Bearer {expiring.secret}")
    assert status == 401 and error["code"] == "api_key_expired"
    assert f"API key {expiring.key.prefix}... has been expired." == error["message"]
