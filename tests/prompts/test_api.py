"""`/api/prompts` over HTTP on both stores: role rules, review rules, workload isolation, shared prompts, 4xx."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rungway.domain.keys import KeyKind, Role
from rungway.prompts.catalog import CATALOG
from tests.api.http import call
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway

CONFIG = (
    SIMULATOR_CONFIG
    + """  limited:
    team: other
prompts:
  workloads:
    limited:
      approvals_required: 0
"""
)


def body(text: str = "Answer {{question}} politely.", **extra: Any) -> dict[str, Any]:
    return {
        "name": "support",
        "messages": [{"role": "system", "content": "You are a support agent."}, {"role": "user", "content": text}],
        "variables": [{"name": "question", "description": "what they asked"}],
        "model": "gpt-4o-mini",
        "parameters": {"temperature": 0.2, "max_tokens": 200},
        "message": "first draft",
        **extra,
    }


class Keys:
    """The people and applications of a test: ann and bob write in `test`, lou in `limited`."""

    def __init__(self, gw: Gateway) -> None:
        person = KeyKind.PERSON
        self.ann = gw.create_key("test", kind=person, owner="ann").secret
        self.ann_again = gw.create_key("test", kind=person, owner="ann").secret
        self.bob = gw.create_key("test", kind=person, owner="bob").secret
        self.app = gw.create_key("test").secret
        self.viewer = gw.create_key("test", kind=person, owner="vic", role=Role.VIEWER).secret
        self.lou = gw.create_key("limited", kind=person, owner="lou").secret
        self.boss = gw.create_key("test", kind=person, owner="boss", role=Role.ADMIN).secret


@pytest.fixture
def served(gateway_factory: Callable[..., Gateway], store_url: str) -> tuple[Gateway, Keys]:
    gw = gateway_factory(CONFIG, store_url=store_url)
    return gw, Keys(gw)


def test_versions_are_immutable_and_the_same_content_is_not_a_new_version(served: tuple[Gateway, Keys]) -> None:
    gw, k = served
    status, first = call(gw, "POST", "/api/prompts", k.ann, body())
    assert status == 200 and first["created"] and first["version"] == 1 and first["workload"] == "test"
    assert (first["author"], first["message"], first["labels"]) == ("ann", "first draft", [])
    assert first["content"]["parameters"] == {"temperature": 0.2, "max_tokens": 200}
    served_now = gw.state.slots[CATALOG].resolve("test", "support")  # this server's catalog: refreshed at once
    assert served_now is not None and served_now.content_hash == first["hash"]
    status, again = call(gw, "POST", "/api/prompts", k.bob, body(message="same again"))
    assert status == 200 and not again["created"] and again["version"] == 1 and again["message"] == "first draft"
    status, second = call(gw, "POST", "/api/prompts", k.app, body("Answer {{question}} briefly."))
    assert status == 200 and second["created"] and second["version"] == 2
    assert second["author"] == second["author_key_id"]  # an application key is named by its id
    status, read = call(gw, "GET", "/api/prompts/support?version=1", k.viewer)
    assert status == 200 and read["hash"] == first["hash"] and read["content"] == first["content"]
    status, newest = call(gw, "GET", "/api/prompts/support", k.viewer)
    assert status == 200 and newest["version"] == 2
    status, versions = call(gw, "GET", "/api/prompts/support/versions", k.viewer)
    assert status == 200 and [v["version"] for v in versions["data"]] == [2, 1]
    status, listed = call(gw, "GET", "/api/prompts", k.viewer)
    assert status == 200 and listed["data"][0]["name"] == "support" and listed["data"][0]["latest_version"] == 2
    status, diff = call(gw, "GET", "/api/prompts/support/diff?from=1&to=2", k.viewer)
    assert status == 200 and not diff["identical"] and diff["messages"][0]["index"] == 1
    assert "+Answer {{question}} briefly." in diff["messages"][0]["unified"]
    status, default = call(gw, "GET", "/api/prompts/support/diff", k.viewer)  # the newest against the one before
    assert status == 200 and (default["from"], default["to"]) == ("support@1", "support@2")
    status, refused = call(gw, "POST", "/api/prompts", k.viewer, body("viewer {{question}}"))
    assert status == 403 and refused["error"]["code"] == "insufficient_role"


def test_no_self_approval_into_a_protected_label_and_every_move_is_recorded(served: tuple[Gateway, Keys]) -> None:
    gw, k = served
    call(gw, "POST", "/api/prompts", k.ann, body())
    move = {"version": 1, "reason": "ship it"}
    status, blocked = call(gw, "POST", "/api/prompts/support/labels/production", k.ann, move)
    assert status == 409 and blocked["error"]["code"] == "approval_required"
    approve = {"decision": "approve", "comment": "looks right"}
    for own_key in (k.ann, k.ann_again):
        status, own = call(gw, "POST", "/api/prompts/support/versions/1/reviews", own_key, approve)
        assert status == 403 and own["error"]["code"] == "self_review"
    for not_a_person in (k.app, "admin-secret"):  # the admin key reads a workload's view with ?workload=
        path = "/api/prompts/support/versions/1/reviews?workload=test"
        status, refused = call(gw, "POST", path, not_a_person, approve)
        assert status == 403 and refused["error"]["code"] == "person_key_required", refused
    status, _ = call(gw, "POST", "/api/prompts/support/versions/1/reviews", k.viewer, approve)
    assert status == 403
    status, made = call(gw, "POST", "/api/prompts/support/versions/1/reviews", k.bob, approve)
    assert status == 200 and (made["reviewer"], made["decision"], made["comment"]) == ("bob", "approve", "looks right")
    status, moved = call(gw, "POST", "/api/prompts/support/labels/production", k.ann, move)
    assert status == 200 and (moved["from_version"], moved["to_version"], moved["approvers"]) == (None, 1, ["bob"])
    call(gw, "POST", "/api/prompts", k.ann, body("v2 {{question}}"))
    status, staged = call(gw, "POST", "/api/prompts/support/labels/staging", k.app, {"version": 2, "reason": "try"})
    assert status == 200 and not staged["protected"]
    status, moves = call(gw, "GET", "/api/prompts/support/moves", k.viewer)
    assert status == 200
    assert [(m["label"], m["to_version"], m["actor"], m["reason"]) for m in moves["data"]] == [
        ("staging", 2, staged["actor"], "try"),
        ("production", 1, "ann", "ship it"),
    ]
    assert moves["data"][1]["moved_at"].endswith("Z") and moves["data"][1]["approvers"] == ["bob"]
    status, production = call(gw, "GET", "/api/prompts/support?label=production", k.viewer)
    assert status == 200 and production["version"] == 1 and production["labels"] == ["production"]
    status, reviews = call(gw, "GET", "/api/prompts/support/reviews?version=1", k.viewer)
    assert status == 200 and [r["reviewer"] for r in reviews["data"]] == ["bob"]
    status, _viewer_move = call(gw, "POST", "/api/prompts/support/labels/staging", k.viewer, move)
    assert status == 403


def test_a_rejection_blocks_and_a_workload_policy_of_zero_needs_no_approval(served: tuple[Gateway, Keys]) -> None:
    gw, k = served
    call(gw, "POST", "/api/prompts", k.ann, body())
    reject = {"decision": "reject", "comment": "wrong tone"}
    status, _ = call(gw, "POST", "/api/prompts/support/versions/1/reviews", k.boss, {**reject, "decision": "approve"})
    assert status == 200
    status, _ = call(gw, "POST", "/api/prompts/support/versions/1/reviews", k.bob, reject)
    assert status == 200
    status, blocked = call(gw, "POST", "/api/prompts/support/labels/production", k.ann, {"version": 1, "reason": "x"})
    assert status == 409 and blocked["error"]["code"] == "version_rejected" and "bob" in blocked["error"]["message"]
    status, _ = call(gw, "POST", "/api/prompts", k.lou, body())
    status, free = call(gw, "POST", "/api/prompts/support/labels/production", k.lou, {"version": 1, "reason": "go"})
    assert status == 200 and free["protected"] and free["approvers"] == [] and free["workload"] == "limited"


def test_a_workload_key_never_reads_diffs_labels_or_reviews_another_workloads_prompts(
    served: tuple[Gateway, Keys],
) -> None:
    gw, k = served
    assert call(gw, "POST", "/api/prompts", k.lou, body(name="secret"))[0] == 200
    call(gw, "POST", "/api/prompts", k.lou, body("v2 {{question}}", name="secret"))
    paths = [
        ("GET", "/api/prompts/secret", None),
        ("GET", "/api/prompts/secret?workload=limited", None),
        ("GET", "/api/prompts/secret/versions", None),
        ("GET", "/api/prompts/secret/diff?from=1&to=2", None),
        ("GET", "/api/prompts/secret/moves", None),
        ("GET", "/api/prompts/secret/reviews", None),
        ("POST", "/api/prompts/secret/labels/staging", {"version": 1, "reason": "x"}),
        ("POST", "/api/prompts/secret/versions/1/reviews", {"decision": "approve", "comment": "ok"}),
    ]
    missing = call(gw, "GET", "/api/prompts/never-made", k.bob)
    assert missing[0] == 404
    for method, path, payload in paths:
        status, answer = call(gw, method, path, k.bob, payload)
        assert status == 404, (path, answer)
        assert answer["error"]["type"] == missing[1]["error"]["type"]
        assert answer["error"]["message"].startswith("no prompt named 'secret'"), answer
    status, listed = call(gw, "GET", "/api/prompts", k.bob)
    assert status == 200 and listed["data"] == []
    status, _refused = call(gw, "POST", "/api/prompts", k.bob, body(name="secret", workload="limited"))
    assert status == 403
    status, own = call(gw, "GET", "/api/prompts/secret?workload=limited", "admin-secret")
    assert status == 200 and own["version"] == 2 and own["workload"] == "limited"


def test_shared_prompts_admin_creates_everyone_reads_and_names_never_clash(served: tuple[Gateway, Keys]) -> None:
    gw, k = served
    status, _refused = call(gw, "POST", "/api/prompts", k.ann, body(name="house", shared=True))
    assert status == 403
    status, made = call(gw, "POST", "/api/prompts", "admin-secret", body(name="house", shared=True))
    assert status == 200 and made["workload"] is None and made["shared"] and made["author"] == "admin"
    for key in (k.ann, k.lou, k.viewer):
        status, read = call(gw, "GET", "/api/prompts/house", key)
        assert status == 200 and read["shared"]
    status, clash = call(gw, "POST", "/api/prompts", k.ann, body(name="house"))
    assert status == 409 and clash["error"]["code"] == "prompt_name_taken"
    call(gw, "POST", "/api/prompts", k.ann, body(name="mine"))
    status, clash = call(gw, "POST", "/api/prompts", "admin-secret", body(name="mine", shared=True))
    assert status == 409
    status, _ = call(gw, "POST", "/api/prompts/house/labels/staging", k.ann, {"version": 1, "reason": "x"})
    assert status == 403
    status, moved = call(gw, "POST", "/api/prompts/house/labels/staging", "admin-secret", {"version": 1, "reason": "x"})
    assert status == 200 and moved["workload"] is None and moved["actor"] == "admin"
    status, listed = call(gw, "GET", "/api/prompts", k.lou)
    assert status == 200 and [(p["name"], p["shared"]) for p in listed["data"]] == [("house", True)]
    status, everything = call(gw, "GET", "/api/prompts", "admin-secret")
    assert [p["name"] for p in everything["data"]] == ["house", "mine"]


@pytest.mark.parametrize(
    ("method", "path", "payload", "expected"),
    [
        ("POST", "/api/prompts", {"name": "x"}, 400),
        ("POST", "/api/prompts", {**body(), "name": "-bad"}, 400),
        ("POST", "/api/prompts", {**body(), "extra": 1}, 400),
        ("POST", "/api/prompts", {**body(), "messages": []}, 400),
        ("POST", "/api/prompts", {**body(), "messages": [{"role": "wizard", "content": "x"}]}, 400),
        ("POST", "/api/prompts", {**body(), "messages": [{"role": "user", "content": "{% if x %}"}]}, 400),
        ("POST", "/api/prompts", {**body(), "messages": [{"role": "user", "content": "{{ x | upper }}"}]}, 400),
        ("POST", "/api/prompts", {**body(), "parameters": {"temperature": 9}}, 400),
        ("POST", "/api/prompts", {**body(), "parameters": {"logit_bias": {}}}, 400),
        ("POST", "/api/prompts", {**body(), "variables": [{"name": "n", "type": "integer", "default": "x"}]}, 400),
        ("POST", "/api/prompts", {**body(), "message": "nul\u0000"}, 400),
        ("POST", "/api/prompts", {**body(), "workload": "test", "shared": True}, 400),
        ("POST", "/api/prompts", b"{not json", 400),
        ("POST", "/api/prompts", [1, 2], 400),
        ("GET", "/api/prompts/support?version=0", None, 400),
        ("GET", "/api/prompts/support?version=1&label=production", None, 400),
        ("GET", "/api/prompts/support?label=nope", None, 404),
        ("GET", "/api/prompts/support?version=99", None, 404),
        ("GET", "/api/prompts/support/diff?to=x", None, 404),
        ("GET", "/api/prompts/support/diff?from=7", None, 404),
        ("GET", "/api/prompts/support/versions?limit=0", None, 400),
        ("POST", "/api/prompts/support/labels/latest", {"version": 1, "reason": "x"}, 400),
        ("POST", "/api/prompts/support/labels/Bad%20Label", {"version": 1, "reason": "x"}, 400),
        ("POST", "/api/prompts/support/labels/beta", {"version": 1}, 400),
        ("POST", "/api/prompts/support/labels/beta", {"version": 1, "reason": "   "}, 400),
        ("POST", "/api/prompts/support/labels/beta", {"version": "1", "reason": "x"}, 400),
        ("POST", "/api/prompts/support/labels/beta", {"version": 5, "reason": "x"}, 404),
        ("POST", "/api/prompts/support/versions/1/reviews", {"decision": "maybe", "comment": "x"}, 400),
        ("POST", "/api/prompts/support/versions/1/reviews", {"decision": "approve"}, 400),
        ("POST", "/api/prompts/support/versions/x/reviews", {"decision": "approve", "comment": "x"}, 404),
        ("POST", "/api/prompts/support/versions/9/reviews", {"decision": "approve", "comment": "x"}, 404),
        ("GET", "/api/prompts/no%20such", None, 404),
    ],
)
def test_every_bad_request_is_a_4xx_naming_the_problem(
    gateway_factory: Callable[..., Gateway], sqlite_url: str, method: str, path: str, payload: Any, expected: int
) -> None:
    gw = gateway_factory(CONFIG, store_url=sqlite_url)
    ann = gw.create_key("test", kind=KeyKind.PERSON, owner="ann").secret
    bob = gw.create_key("test", kind=KeyKind.PERSON, owner="bob").secret
    assert call(gw, "POST", "/api/prompts", ann, body())[0] == 200
    status, answer = call(gw, method, path, bob, payload)
    assert status == expected, answer
    assert answer["error"]["message"]


def test_the_routes_are_in_the_openapi_document(gateway: Gateway) -> None:
    status, document = call(gateway, "GET", "/api/openapi.json")
    assert status == 200
    paths = document["paths"]
    for path, method in (
        ("/api/prompts", "get"),
        ("/api/prompts", "post"),
        ("/api/prompts/{name}", "get"),
        ("/api/prompts/{name}/versions", "get"),
        ("/api/prompts/{name}/diff", "get"),
        ("/api/prompts/{name}/labels/{label}", "post"),
        ("/api/prompts/{name}/versions/{version}/reviews", "post"),
        ("/api/prompts/{name}/moves", "get"),
    ):
        assert method in paths[path], (path, method)
    create = paths["/api/prompts"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert create["properties"]["name"]["pattern"].startswith("^[A-Za-z0-9]")


def test_a_workload_policy_of_two_approvals_needs_two_people(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG + "prompts:\n  workloads:\n    test:\n      approvals_required: 2\n")
    ann, bob, cid = (gw.create_key("test", kind=KeyKind.PERSON, owner=who).secret for who in ("ann", "bob", "cid"))
    call(gw, "POST", "/api/prompts", ann, body())
    approve = {"decision": "approve", "comment": "ok"}
    move = {"version": 1, "reason": "ship"}
    assert call(gw, "POST", "/api/prompts/support/versions/1/reviews", bob, approve)[0] == 200
    status, blocked = call(gw, "POST", "/api/prompts/support/labels/production", ann, move)
    assert (
        status == 409 and "needs 2 approval(s)" in blocked["error"]["message"] and "bob" in blocked["error"]["message"]
    )
    assert call(gw, "POST", "/api/prompts/support/versions/1/reviews", cid, approve)[0] == 200
    status, moved = call(gw, "POST", "/api/prompts/support/labels/production", ann, move)
    assert status == 200 and moved["approvers"] == ["bob", "cid"]
