"""`/api/logs` and `/api/usage` against a real gateway, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rungway.domain.keys import Role
from tests.api.http import call, chat
from tests.servers import Gateway


@pytest.fixture
def busy(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    """A gateway with calls from two workloads, users and models, one of them failed."""
    gw = gateway_factory(store_url=store_url)
    bot = gw.create_key("support-bot")
    billing = gw.create_key("billing")
    for user in ("ana", "ana", "ben"):
        assert chat(gw, bot.secret, user=user) == 200
    assert chat(gw, billing.secret, user="cid", model="gpt-4o") == 200
    assert chat(gw, billing.secret, user="cid", model="no-such-model") == 404
    gw.flush()
    return gw


def test_logs_filter_by_workload_user_model_status_and_errors(busy: Gateway) -> None:
    def ids(query: str) -> list[str]:
        status, body = call(busy, "GET", "/api/logs" + query)
        assert status == 200, body
        return [(r["workload"], r["user"], r["model_requested"], r["status"]) for r in body["data"]]

    assert len(ids("")) == 5
    assert len(ids("?workload=support-bot")) == 3
    assert ids("?user=ben") == [("support-bot", "ben", "gpt-4o-mini", 200)]
    assert ids("?model=gpt-4o") == [("billing", "cid", "gpt-4o", 200)]
    assert ids("?errors=true") == [("billing", "cid", "no-such-model", 404)]
    assert ids("?status=404") == ids("?errors=1")
    assert len(ids("?since=1h")) == 5
    assert ids("?until=2001-01-01") == []


def test_logs_page_with_a_cursor_without_gaps_or_repeats(busy: Gateway) -> None:
    seen: list[str] = []
    cursor = ""
    while True:
        _, page = call(busy, "GET", f"/api/logs?limit=2{'&cursor=' + cursor if cursor else ''}")
        seen += [r["id"] for r in page["data"]]
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
    _, everything = call(busy, "GET", "/api/logs")
    assert seen == [r["id"] for r in everything["data"]]
    row = everything["data"][0]
    assert "cost_usd" in row and "user_id" not in row


def test_usage_groups_by_each_dimension_with_totals(busy: Gateway) -> None:
    status, by_workload = call(busy, "GET", "/api/usage?by=workload&since=7d")
    assert status == 200
    counts = {r["key"]: (r["requests"], r["errors"]) for r in by_workload["data"]}
    assert counts == {"support-bot": (3, 0), "billing": (2, 1)}
    assert by_workload["total"]["requests"] == 5
    assert by_workload["total"]["cost_nano"] == sum(r["cost_nano"] for r in by_workload["data"]) > 0
    _, by_user = call(busy, "GET", "/api/usage?by=user")
    assert {r["key"]: r["requests"] for r in by_user["data"]} == {"ana": 2, "ben": 1, "cid": 2}
    for by in ("model", "provider", "team", "key"):
        status, body = call(busy, "GET", f"/api/usage?by={by}")
        assert status == 200 and body["total"]["requests"] == 5, by


def test_bad_filters_are_400s_naming_the_parameter(busy: Gateway) -> None:
    for query, param in (
        ("/api/logs?since=yesterday", "since"),
        ("/api/logs?status=abc", "status"),
        ("/api/logs?limit=0", "limit"),
        ("/api/usage?by=colour", "by"),
        ("/api/usage?until=soon", "until"),
    ):
        status, err = call(busy, "GET", query)
        assert status == 400 and err["error"]["param"] == param, query


def test_non_admin_key_reads_only_its_own_workload(busy: Gateway) -> None:
    viewer = busy.create_key("support-bot", role=Role.VIEWER)
    _, logs = call(busy, "GET", "/api/logs", viewer.secret)
    assert {r["workload"] for r in logs["data"]} == {"support-bot"} and len(logs["data"]) == 3
    _, usage = call(busy, "GET", "/api/usage?by=workload", viewer.secret)
    assert [r["key"] for r in usage["data"]] == ["support-bot"]
    for path in ("/api/logs?workload=billing", "/api/usage?workload=billing"):
        status, err = call(busy, "GET", path, viewer.secret)
        assert status == 403 and err["error"]["code"] == "workload_forbidden"


def test_logs_say_where_each_call_went_and_filter_by_deployment(busy: Gateway) -> None:
    status, body = call(busy, "GET", "/api/logs?deployment=gpt-4o")
    assert status == 200, body
    where = [(r["deployment"], r["route_rule"], r["attempts"], r["failed_over"]) for r in body["data"]]
    assert where == [("gpt-4o", None, 1, False)]
    status, body = call(busy, "GET", "/api/logs?errors=true")
    assert [(r["deployment"], r["attempts"], r["failed_over"]) for r in body["data"]] == [(None, 0, False)]
    status, body = call(busy, "GET", "/api/logs?deployment=no-such-deployment")
    assert status == 200 and body["data"] == []
