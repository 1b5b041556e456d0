"""`/api/workloads` against a real gateway: create, read, change limits, scoping and roles."""

from __future__ import annotations

from rungway.domain.keys import Role
from tests.api.http import call, chat
from tests.servers import Gateway


def test_create_then_read_and_list_a_workload(gateway: Gateway) -> None:
    body = {"name": "support-bot", "team": "cx", "risk_tier": "customer-facing", "capture": "redacted"}
    status, made = call(gateway, "POST", "/api/workloads", body=body)
    assert status == 201
    assert made["team"] == "cx" and made["risk_tier"] == "customer-facing" and made["capture"] == "redacted"
    status, one = call(gateway, "GET", "/api/workloads/support-bot")
    assert status == 200 and one == made
    _, listed = call(gateway, "GET", "/api/workloads")
    assert {w["name"] for w in listed["data"]} == {"support-bot", "test"}


def test_creating_an_existing_workload_is_a_409(gateway: Gateway) -> None:
    status, err = call(gateway, "POST", "/api/workloads", body={"name": "test"})
    assert status == 409 and err["error"]["type"] == "conflict_error"


def test_bad_fields_are_400s_naming_the_field(gateway: Gateway) -> None:
    for body, param in (
        ({"name": "Bad Name"}, "name"),
        ({"name": "ok", "risk_tier": "extreme"}, "risk_tier"),
        ({"name": "ok", "capture": "all"}, "capture"),
        ({"name": "ok", "rpm_limit": "ten"}, "rpm_limit"),
        ({"name": "ok", "owner": "x"}, "owner"),
    ):
        status, err = call(gateway, "POST", "/api/workloads", body=body)
        assert status == 400 and err["error"]["param"] == param, body


def test_lowering_a_workload_rpm_limit_applies_on_the_gateway_at_once(gateway: Gateway) -> None:
    key = gateway.create_key("test")
    status, changed = call(gateway, "PATCH", "/api/workloads/test", body={"rpm_limit": 1, "team": "platform"})
    assert status == 200 and changed["rpm_limit"] == 1 and changed["team"] == "platform"
    assert chat(gateway, key.secret) == 200
    assert chat(gateway, key.secret) == 429
    status, cleared = call(gateway, "PATCH", "/api/workloads/test", body={"rpm_limit": None})
    assert status == 200 and cleared["rpm_limit"] is None and cleared["team"] == "platform"


def test_unknown_workload_is_404(gateway: Gateway) -> None:
    assert call(gateway, "GET", "/api/workloads/nope")[0] == 404
    assert call(gateway, "PATCH", "/api/workloads/nope", body={"team": "x"})[0] == 404


def test_non_admin_sees_only_its_workload_and_cannot_change_it(gateway: Gateway) -> None:
    dev = gateway.create_key("support-bot", role=Role.DEVELOPER)
    _, listed = call(gateway, "GET", "/api/workloads", dev.secret)
    assert [w["name"] for w in listed["data"]] == ["support-bot"]
    assert call(gateway, "GET", "/api/workloads/test", dev.secret)[0] == 404
    status, err = call(gateway, "POST", "/api/workloads", dev.secret, {"name": "mine"})
    assert status == 403 and err["error"]["type"] == "permission_error"
    assert call(gateway, "PATCH", "/api/workloads/support-bot", dev.secret, {"rpm_limit": 1})[0] == 403
