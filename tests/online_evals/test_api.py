"""`/api/online-evals` is scoped to the caller's workload: another workload's scorers and status are the same 404 as
a missing one; adding and removing need the admin role; bad bodies are 400s naming the field, never 500s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from rungway.domain.keys import Role
from tests.online_evals.support import online_gateway, runtime_of
from tests.servers import Gateway

SCORER = {
    "name": "polite",
    "assert": {"type": "not-icontains", "value": "stupid"},
    "sample": 0.5,
    "filter": {"model": "gpt-4o-mini", "tags": {"tier": "gold"}},
}


def _call(gateway: Gateway, secret: str, method: str, path: str, body: Any = None, **query: str) -> requests.Response:
    return requests.request(
        method,
        gateway.base_url + path,
        json=body,
        params=query,
        headers={"Authorization": f"Bearer {secret}"},
        timeout=10,
    )


def test_scorers_are_added_listed_and_removed_in_the_callers_workload(gateway_factory: Callable[..., Gateway]) -> None:
    gw = online_gateway(gateway_factory)
    admin = gw.create_key("test", role=Role.ADMIN).secret
    made = _call(gw, admin, "POST", "/api/online-evals", SCORER)
    assert made.status_code == 201, made.text
    assert made.json()["workload"] == "test" and made.json()["filter"] == SCORER["filter"]
    assert _call(gw, admin, "POST", "/api/online-evals", SCORER).status_code == 409  # the name is taken
    listed = _call(gw, gw.create_key("test", role=Role.VIEWER).secret, "GET", "/api/online-evals").json()["data"]
    assert {(s["name"], s["source"]) for s in listed} == {("short", "config"), ("polite", "api")}
    assert runtime_names(gw) == {"short", "polite"}  # this replica uses it at once
    assert _call(gw, admin, "DELETE", "/api/online-evals/short").status_code == 409  # declared in rungway.yaml
    assert _call(gw, admin, "DELETE", "/api/online-evals/polite").status_code == 200
    assert _call(gw, admin, "DELETE", "/api/online-evals/polite").status_code == 404
    assert runtime_names(gw) == {"short"}


def runtime_names(gw: Gateway) -> set[str]:
    return {live.scorer.name for live in runtime_of(gw).book.live.get("test", ())}


def test_another_workloads_scorers_are_not_found(gateway_factory: Callable[..., Gateway]) -> None:
    gw = online_gateway(gateway_factory)
    other_admin = gw.create_key("other", role=Role.ADMIN).secret
    for method, path, body, query in (
        ("GET", "/api/online-evals", None, {"workload": "test"}),
        ("GET", "/api/online-evals/status", None, {"workload": "test"}),
        ("DELETE", "/api/online-evals/short", None, {"workload": "test"}),
        ("POST", "/api/online-evals", {**SCORER, "workload": "test"}, {}),
    ):
        answer = _call(gw, other_admin, method, path, body, **query)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["error"]["param"] == "workload"
    own = _call(gw, other_admin, "GET", "/api/online-evals").json()["data"]
    assert own == []  # its own workload has none; test's are not shown
    everything = _call(gw, "admin-secret", "GET", "/api/online-evals").json()["data"]
    assert [s["name"] for s in everything] == ["short"]  # the server's admin key sees every workload


def test_only_the_admin_role_adds_or_removes(gateway_factory: Callable[..., Gateway]) -> None:
    gw = online_gateway(gateway_factory)
    developer = gw.create_key("test").secret
    assert _call(gw, developer, "POST", "/api/online-evals", SCORER).status_code == 403
    assert _call(gw, developer, "DELETE", "/api/online-evals/short").status_code == 403
    assert _call(gw, developer, "GET", "/api/online-evals/status").status_code == 200


def test_bad_bodies_are_400s_naming_the_field(gateway_factory: Callable[..., Gateway]) -> None:
    gw = online_gateway(gateway_factory)
    admin = gw.create_key("test", role=Role.ADMIN).secret
    for body, param in (
        ({**SCORER, "assert": {"type": "nope"}}, "assert"),
        ({**SCORER, "assert": {"type": "python", "value": "os.system"}}, "assert"),
        ({**SCORER, "assert": {"type": "contains"}}, "assert"),
        ({**SCORER, "assert": {"type": "llm-rubric", "value": "polite", "model": "gpt-9"}}, "assert"),
        ({**SCORER, "sample": 0}, "sample"),
        ({**SCORER, "sample": 1.5}, "sample"),
        ({**SCORER, "name": "../x"}, "name"),
        ({**SCORER, "filter": {"modle": "x"}}, "filter"),
        ({**SCORER, "extra": 1}, "extra"),
        ({"name": "x"}, "assert"),
    ):
        answer = _call(gw, admin, "POST", "/api/online-evals", body)
        assert answer.status_code == 400, (body, answer.text)
        assert param in (answer.json()["error"].get("param") or "") + answer.json()["error"]["message"], answer.text
    assert _call(gw, "admin-secret", "POST", "/api/online-evals", SCORER).status_code == 400  # no workload named


def test_the_routes_are_published_in_openapi(gateway: Gateway) -> None:
    paths = requests.get(
        gateway.base_url + "/api/openapi.json", timeout=10, headers={"Authorization": "Bearer admin-secret"}
    ).json()["paths"]
    assert {"get", "post"} <= set(paths["/api/online-evals"]) and "delete" in paths["/api/online-evals/{name}"]
    assert "get" in paths["/api/online-evals/status"]
