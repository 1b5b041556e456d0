"""`/api/keys` against a real gateway: create, list, read, revoke, expiry and role checks."""

from __future__ import annotations

import time

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
