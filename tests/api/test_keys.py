"""`/api/keys` against a real gateway: create, list, read, change, revoke, expiry and role checks.

A change binds through the official openai SDK on the same gateway at once and on another gateway
over the same store within its directory refresh (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Callable

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from rungway.domain.keys import Role
from tests.api.http import ADMIN, call, chat
from tests.servers import Gateway


def test_created_key_works_on_the_gateway_at_once(gateway: Gateway) -> None:
    status, body = call(gateway, "POST", "/api/keys", body={"workload": "support-bot", "owner": "ana"})
    assert status == 201
    assert body["secret"].startswith("rw-") and body["secret"].startswith(body["key"]["prefix"])
    assert body["workload_created"] is True
    assert chat(gateway, body["secret"]) == 200


def test_key_list_and_read_never_show_hash_or_secret(gateway: Gateway) -> None:
    _, created = call(gateway, "POST", "/api/keys", body={"workload": "test", "name": "ci", "rpm_limit": 5})
    status, listed = call(gateway, "GET", "/api/keys")
    assert status == 200
    assert [k["id"] for k in listed["data"]] == [created["key"]["id"]]
    status, one = call(gateway, "GET", f"/api/keys/{created['key']['prefix']}")
    assert status == 200 and one["rpm_limit"] == 5 and one["status"] == "active"
    for shown in (listed["data"][0], one):
        assert "key_hash" not in shown and "secret" not in shown
        assert created["secret"] not in str(shown)


def test_revoked_key_gets_401_through_post_and_delete(gateway: Gateway) -> None:
    for method, suffix in (("POST", "/revoke"), ("DELETE", "")):
        _, created = call(gateway, "POST", "/api/keys", body={"workload": "test"})
        assert chat(gateway, created["secret"]) == 200
        status, revoked = call(gateway, method, f"/api/keys/{created['key']['id']}{suffix}")
        assert status == 200 and revoked["status"] == "revoked"
        status, err = call(gateway, "POST", "/v1/chat/completions", created["secret"], {"model": "gpt-4o-mini"})
        assert status == 401 and err["error"]["code"] == "api_key_revoked"
    _, listed = call(gateway, "GET", "/api/keys?include_revoked=true")
    assert {k["status"] for k in listed["data"]} == {"revoked"}
    _, active = call(gateway, "GET", "/api/keys")
    assert active["data"] == []


def test_expired_key_gets_401(gateway: Gateway) -> None:
    _, created = call(gateway, "POST", "/api/keys", body={"workload": "test", "expires_in": "1s"})
    assert created["key"]["expires_at"] is not None
    deadline = time.monotonic() + 20
    status = chat(gateway, created["secret"])
    while status == 200 and time.monotonic() < deadline:
        time.sleep(0.2)
        status = chat(gateway, created["secret"])
    assert status == 401
    _, one = call(gateway, "GET", f"/api/keys/{created['key']['id']}")
    assert one["status"] == "expired"


def test_expiry_in_the_past_or_bad_input_is_a_400_naming_the_field(gateway: Gateway) -> None:
    cases = [
        ({"workload": "test", "expires_at": "2001-01-01"}, "expires_at"),
        ({"workload": "test", "expires_in": "soon"}, "expires_in"),
        ({"workload": "Not Valid"}, "workload"),
        ({"workload": "test", "role": "owner"}, "role"),
        ({"workload": "test", "rpm_limit": 0}, "rpm_limit"),
        ({"workload": "test", "colour": "red"}, "colour"),
        ({}, "workload"),
    ]
    for body, param in cases:
        status, err = call(gateway, "POST", "/api/keys", body=body)
        assert status == 400, body
        assert err["error"]["type"] == "invalid_request_error" and err["error"]["param"] == param
    status, err = call(gateway, "POST", "/api/keys", body=b"{not json")
    assert status == 400 and "JSON" in err["error"]["message"]


def test_missing_or_wrong_key_is_401_in_openai_format(gateway: Gateway) -> None:
    for key in (None, "rw-wrong"):
        status, err = call(gateway, "GET", "/api/keys", key=key)
        assert status == 401
        assert err["error"]["type"] == "authentication_error" and err["error"]["message"]


def test_viewer_and_developer_cannot_create_or_revoke_keys(gateway: Gateway) -> None:
    target = gateway.create_key()
    for role in ("viewer", "developer"):
        _, made = call(gateway, "POST", "/api/keys", body={"workload": "test", "role": role})
        for method, path, body in (
            ("POST", "/api/keys", {"workload": "test"}),
            ("POST", f"/api/keys/{target.key.id}/revoke", None),
            ("DELETE", f"/api/keys/{target.key.id}", None),
        ):
            status, err = call(gateway, method, path, made["secret"], body)
            assert status == 403, (role, method, path)
            assert err["error"]["type"] == "permission_error" and err["error"]["code"] == "insufficient_role"
    assert chat(gateway, target.secret) == 200


def test_non_admin_key_sees_only_its_own_workload_keys(gateway: Gateway) -> None:
    mine = gateway.create_key("support-bot", role=Role.VIEWER)
    other = gateway.create_key("billing")
    status, listed = call(gateway, "GET", "/api/keys", mine.secret)
    assert status == 200 and {k["workload"] for k in listed["data"]} == {"support-bot"}
    status, _ = call(gateway, "GET", f"/api/keys/{other.key.id}", mine.secret)
    assert status == 404
    status, _ = call(gateway, "GET", "/api/keys?workload=billing", mine.secret)
    assert status == 404
    status, everything = call(gateway, "GET", "/api/keys", ADMIN)
    assert {k["workload"] for k in everything["data"]} == {"support-bot", "billing"}


def test_unknown_key_id_is_404(gateway: Gateway) -> None:
    status, err = call(gateway, "POST", "/api/keys/key_nope/revoke")
    assert status == 404 and err["error"]["type"] == "not_found_error"


def _started(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(store_url=store_url)


def test_a_key_change_keeps_its_secret_workload_role_and_kind_and_shows_everywhere(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = _started(gateway_factory, store_url)
    _, created = call(gw, "POST", "/api/keys", body={"workload": "support-bot", "name": "ci", "kind": "person"})
    key_id = created["key"]["id"]
    change = {
        "rpm_limit": 40,
        "tpm_limit": 9000,
        "allowed_models": ["gpt-4o-mini", "gpt-4o"],
        "name": "ci-nightly",
        "owner": "ana",
        "expires_in": "30d",
    }
    status, changed = call(gw, "PATCH", f"/api/keys/{created['key']['prefix']}", body=change)
    assert status == 200, changed
    assert {f: changed[f] for f in ("rpm_limit", "tpm_limit", "allowed_models", "name", "owner")} == {
        f: v for f, v in change.items() if f != "expires_in"
    }
    assert 29 * 86400 < changed["expires_at"] - time.time() <= 30 * 86400
    for same in ("id", "prefix", "workload", "role", "kind", "created_at"):
        assert changed[same] == created["key"][same], same
    assert call(gw, "GET", f"/api/keys/{key_id}")[1] == changed
    assert chat(gw, created["secret"]) == 200  # the same secret still works
    status, cleared = call(gw, "PATCH", f"/api/keys/{key_id}", body={"rpm_limit": None, "expires_at": None})
    assert status == 200 and cleared["rpm_limit"] is None and cleared["expires_at"] is None
    assert cleared["tpm_limit"] == 9000 and cleared["name"] == "ci-nightly"  # fields left out are kept


def test_lowering_a_key_rpm_to_one_gives_a_429_on_the_next_but_one_call_at_once(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = _started(gateway_factory, store_url)
    _, created = call(gw, "POST", "/api/keys", body={"workload": "test"})
    sdk = gw.sdk(created["secret"])
    hello: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
    for _ in range(3):  # no limit of its own yet: the gateway knows the key and counts nothing
        sdk.chat.completions.create(model="gpt-4o-mini", messages=hello)
    status, _ = call(gw, "PATCH", f"/api/keys/{created['key']['id']}", body={"rpm_limit": 1})
    assert status == 200
    sdk.chat.completions.create(model="gpt-4o-mini", messages=hello)
    with pytest.raises(openai.RateLimitError) as refused:
        sdk.chat.completions.create(model="gpt-4o-mini", messages=hello)
    assert "key requests per minute is 1" in str(refused.value)


def test_narrowing_a_keys_models_refuses_another_model_at_once(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = _started(gateway_factory, store_url)
    _, created = call(gw, "POST", "/api/keys", body={"workload": "test"})
    sdk = gw.sdk(created["secret"])
    hello: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
    sdk.chat.completions.create(model="gpt-4o", messages=hello)
    status, _ = call(gw, "PATCH", f"/api/keys/{created['key']['id']}", body={"allowed_models": ["gpt-4o-mini"]})
    assert status == 200
    with pytest.raises(openai.PermissionDeniedError) as refused:
        sdk.chat.completions.create(model="gpt-4o", messages=hello)
    assert refused.value.code == "model_not_allowed"
    sdk.chat.completions.create(model="gpt-4o-mini", messages=hello)
    call(gw, "PATCH", f"/api/keys/{created['key']['id']}", body={"allowed_models": []})
    sdk.chat.completions.create(model="gpt-4o", messages=hello)  # empty: any model again


def test_another_gateway_on_the_same_store_sees_a_key_change_within_its_refresh(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    first, second = _started(gateway_factory, store_url), _started(gateway_factory, store_url)
    _, created = call(first, "POST", "/api/keys", body={"workload": "test"})
    assert chat(second, created["secret"]) == 200  # the second gateway has the key in its directory
    status, _ = call(first, "PATCH", f"/api/keys/{created['key']['id']}", body={"allowed_models": ["gpt-4o"]})
    assert status == 200
    deadline = time.monotonic() + 15
    while chat(second, created["secret"]) == 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert chat(second, created["secret"]) == 403
    assert chat(second, created["secret"], model="gpt-4o") == 200


def test_a_key_change_with_a_bad_or_forbidden_field_is_a_400_naming_it(gateway: Gateway) -> None:
    _, created = call(gateway, "POST", "/api/keys", body={"workload": "test", "rpm_limit": 7})
    path = f"/api/keys/{created['key']['id']}"
    cases = [
        ({"rpm_limit": 0}, "rpm_limit"),
        ({"tpm_limit": "ten"}, "tpm_limit"),
        ({"rpm_limit": 2**63}, "rpm_limit"),
        ({"allowed_models": [""]}, "allowed_models.0"),
        ({"allowed_models": ["m"] * 257}, "allowed_models"),
        ({"allowed_models": "gpt-4o"}, "allowed_models"),
        ({"name": ""}, "name"),
        ({"owner": "a\x00b"}, "owner"),
        ({"expires_at": "2001-01-01"}, "expires_at"),
        ({"expires_in": "soon"}, "expires_in"),
        ({"expires_at": time.time() + 3600, "expires_in": "1d"}, "expires_in"),
        ({"workload": "other"}, "workload"),
        ({"role": "admin"}, "role"),
        ({"kind": "person"}, "kind"),
        ({"key_hash": "0" * 64}, "key_hash"),
        ({"secret": "rw-mine"}, "secret"),
    ]
    for body, param in cases:
        status, err = call(gateway, "PATCH", path, body=body)
        assert status == 400, body
        assert err["error"]["type"] == "invalid_request_error" and err["error"]["param"] == param, (body, err)
    status, err = call(gateway, "PATCH", path, body={})
    assert status == 400 and "give at least one of allowed_models" in err["error"]["message"]
    status, err = call(gateway, "PATCH", path, body=b"{not json")
    assert status == 400 and "JSON" in err["error"]["message"]
    _, unchanged = call(gateway, "GET", path)
    assert unchanged["rpm_limit"] == 7 and unchanged["workload"] == "test" and unchanged["role"] == "developer"


def test_a_revoked_key_cannot_be_changed(gateway: Gateway) -> None:
    _, created = call(gateway, "POST", "/api/keys", body={"workload": "test", "rpm_limit": 3})
    call(gateway, "POST", f"/api/keys/{created['key']['id']}/revoke")
    status, err = call(gateway, "PATCH", f"/api/keys/{created['key']['id']}", body={"rpm_limit": 100})
    assert status == 409 and err["error"]["type"] == "conflict_error" and "revoked" in err["error"]["message"]
    _, still = call(gateway, "GET", f"/api/keys/{created['key']['id']}")
    assert still["rpm_limit"] == 3 and still["status"] == "revoked"
    status, err = call(gateway, "PATCH", "/api/keys/key_nope", body={"rpm_limit": 1})
    assert status == 404 and err["error"]["type"] == "not_found_error"


def test_viewer_and_developer_cannot_change_a_key_not_even_their_own(gateway: Gateway) -> None:
    for role in ("viewer", "developer"):
        _, made = call(gateway, "POST", "/api/keys", body={"workload": "test", "role": role, "rpm_limit": 5})
        for target in (made["key"]["id"], gateway.create_key().key.id):
            status, err = call(gateway, "PATCH", f"/api/keys/{target}", made["secret"], {"rpm_limit": 1000})
            assert status == 403 and err["error"]["code"] == "insufficient_role", (role, target)
        assert call(gateway, "GET", f"/api/keys/{made['key']['id']}")[1]["rpm_limit"] == 5
