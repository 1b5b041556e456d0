"""`/api/models/routes` and `/api/models/routes/explain` over HTTP: a key sees its own workload's rules,
an admin any; explain names the rule and the plan without calling; bad input is a 4xx."""

from __future__ import annotations

from collections.abc import Callable

from tests.api.http import call
from tests.models.routes.support import ROUTED
from tests.servers import Gateway


def test_a_key_sees_its_own_workloads_rules_and_every_deployment(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(ROUTED)
    support, other = gw.create_key("support").secret, gw.create_key("test").secret
    status, body = call(gw, "GET", "/api/models/routes", support)
    assert status == 200
    assert [w["workload"] for w in body["workloads"]] == ["support"]
    rules = body["workloads"][0]["rules"]
    assert [r["name"] for r in rules] == ["long-prompts", "gold", "vip", "web"]
    assert rules[0]["deployments"] == ["claude", "gpt-4o", "gpt-4o-cheap"] and rules[0]["policy"]["retries"] == 0
    models = {m["model"]: [d["name"] for d in m["deployments"]] for m in body["models"]}
    assert models["gpt-4o-mini"] == ["gpt-4o-mini", "gpt-4o-mini-eu"]
    assert call(gw, "GET", "/api/models/routes?workload=support", other)[0] == 404  # another workload: not found
    status, body = call(gw, "GET", "/api/models/routes", other)
    assert status == 200 and body["workloads"] == [{"workload": "test", "rules": []}]
    status, body = call(gw, "GET", "/api/models/routes")  # the admin: every workload
    assert status == 200 and [w["workload"] for w in body["workloads"]] == ["support", "test"]
    assert call(gw, "GET", "/api/models/routes", None)[0] == 401


def test_explain_names_the_rule_and_the_plan(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(ROUTED)
    support = gw.create_key("support").secret
    status, body = call(gw, "POST", "/api/models/routes/explain", support, {"model": "gpt-4o", "prompt_tokens": 5000})
    assert status == 200, body
    assert (body["workload"], body["rule"], body["strategy"]) == ("support", "long-prompts", "fallback")
    assert [d["name"] for d in body["deployments"]] == ["claude", "gpt-4o", "gpt-4o-cheap"]
    status, body = call(gw, "POST", "/api/models/routes/explain", support, {"model": "gpt-4o", "user": "alice"})
    assert body["rule"] == "vip" and body["deployments"][0]["name"] == "gpt-4o-cheap"
    status, body = call(gw, "POST", "/api/models/routes/explain", support,
                        {"model": "gpt-4o-mini", "tags": {"channel": "web"}})  # fmt: skip
    assert body["rule"] == "web" and body["strategy"] == "weighted"
    status, body = call(gw, "POST", "/api/models/routes/explain", body=
                        {"model": "gpt-4o-mini", "workload": "test"})  # fmt: skip
    assert body["rule"] is None and body["strategy"] == "weighted" and len(body["deployments"]) == 2


def test_explain_refuses_bad_input_with_a_4xx(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(ROUTED)
    support = gw.create_key("support").secret
    status, body = call(gw, "POST", "/api/models/routes/explain", support, {"model": "nope"})
    assert status == 404 and body["error"]["code"] == "model_not_found"
    assert call(gw, "POST", "/api/models/routes/explain", support, {"model": "gpt-4o", "workload": "test"})[0] == 404
    assert call(gw, "POST", "/api/models/routes/explain", support, {"prompt_tokens": 3})[0] == 400
    assert call(gw, "POST", "/api/models/routes/explain", support, {"model": "gpt-4o", "prompt_tokens": -1})[0] == 400
    assert call(gw, "POST", "/api/models/routes/explain", support, {"model": "gpt-4o", "extra": 1})[0] == 400
