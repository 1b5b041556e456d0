"""`/api/forecasts*` over real HTTP: forecasts and budget outlooks scoped to the caller's workload (another
workload's is the same 404 as a missing one), bad input as the API's 400, and the routes in the OpenAPI."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from rungway.domain.keys import Role
from rungway.forecasts.store import refresh_rollup
from tests.api.http import call
from tests.conftest import SIMULATOR_CONFIG
from tests.forecasts.support import seed_spend, workload_budget
from tests.servers import Gateway

CONFIG = SIMULATOR_CONFIG + "  other:\n    team: ops\n"


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway]) -> Gateway:
    gateway = gateway_factory(CONFIG)
    engine = gateway.state.engine
    seed_spend(engine, "test", 30, users=("ann", "bob"))
    seed_spend(engine, "other", 30, team="ops", users=("eve",))
    workload_budget(engine, "test-monthly", "test", "500")
    workload_budget(engine, "other-monthly", "other", "500")
    refresh_rollup(engine, time.time())  # the server's loop, a round early: the seeded days are late rows
    return gateway


def test_an_admin_reads_every_workloads_forecast(gw: Gateway) -> None:
    status, body = call(gw, "GET", "/api/forecasts?by=workload&days=30")
    assert status == 200, body
    assert body["days"] == 30 and body["level"] == 0.8
    assert {g["key"] for g in body["groups"]} == {"test", "other"}
    group = body["groups"][0]
    assert group["lower_usd"] <= group["forecast_usd"] <= group["upper_usd"] and len(group["daily_usd"]) == 30
    status, budgets = call(gw, "GET", "/api/forecasts/budgets")
    assert status == 200 and {b["budget"] for b in budgets["data"]} == {"test-monthly", "other-monthly"}
    assert call(gw, "GET", "/api/forecasts?by=user&workload=other")[1]["groups"][0]["key"] == "eve"


def test_a_workload_key_reads_its_own_workload_only(gw: Gateway) -> None:
    key = gw.create_key("test", role=Role.VIEWER).secret
    status, body = call(gw, "GET", "/api/forecasts?by=user", key)
    assert status == 200 and {g["key"] for g in body["groups"]} == {"ann", "bob"}
    assert {g["key"] for g in call(gw, "GET", "/api/forecasts?by=team", key)[1]["groups"]} == {"qa"}
    status, budgets = call(gw, "GET", "/api/forecasts/budgets", key)
    assert status == 200 and [b["budget"] for b in budgets["data"]] == ["test-monthly"]
    other, missing = (call(gw, "GET", f"/api/forecasts?workload={w}", key) for w in ("other", "nobody"))
    assert other[0] == missing[0] == 404
    assert other[1]["error"]["message"].replace("other", "X") == missing[1]["error"]["message"].replace("nobody", "X")
    assert call(gw, "GET", "/api/forecasts/budgets?workload=other", key)[0] == 404
    assert call(gw, "GET", "/api/forecasts/alerts?workload=other", key)[0] == 404
    assert call(gw, "GET", "/api/forecasts/alerts", key) == (200, {"object": "list", "data": []})


@pytest.mark.parametrize("query", ["by=tag", "days=14", "days=seven", "workload=" + "w" * 65, "limit=0"])
def test_bad_input_is_a_400_in_the_apis_shape(gw: Gateway, query: str) -> None:
    path = "/api/forecasts/alerts" if query.startswith("limit") else "/api/forecasts"
    status, body = call(gw, "GET", f"{path}?{query}")
    assert status == 400, body
    assert body["error"]["type"] == "invalid_request_error"


def test_the_routes_are_published(gw: Gateway) -> None:
    status, spec = call(gw, "GET", "/api/openapi.json")
    assert status == 200
    assert {"/api/forecasts", "/api/forecasts/budgets", "/api/forecasts/alerts"} <= set(spec["paths"])
    assert call(gw, "GET", "/api/forecasts", key=None)[0] == 401
