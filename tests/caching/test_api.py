"""`/api/cache` over HTTP on a real gateway: savings, stats, checks and a clear, each scoped to the caller's workload
(another workload is the same 404 as an empty one; the server's admin key sees and clears any)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from rungway.caching.model import HitCheck, SemanticState
from rungway.caching.runtime import CACHE
from rungway.caching.store import append_checks, save_semantic_state
from rungway.domain.keys import Role
from tests.caching.seeding import CACHE_CONFIG, ask
from tests.servers import Gateway


def _call(gw: Gateway, secret: str, method: str, path: str, **query: str) -> requests.Response:
    return requests.request(
        method, gw.base_url + path, params=query, headers={"Authorization": f"Bearer {secret}"}, timeout=10
    )


def _warm(gw: Gateway) -> dict[str, Any]:
    keys = {w: gw.create_key(w).secret for w in ("test", "other")}
    assert [ask(gw, keys["test"], "hello there") for _ in range(3)] == ["miss", "hit", "hit"]
    assert [ask(gw, keys["other"], "hello there") for _ in range(2)] == ["miss", "hit"]  # never test's answer
    gw.flush()
    return keys


def test_savings_and_stats_show_only_the_callers_workload(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(CACHE_CONFIG)
    keys = _warm(gw)
    mine = _call(gw, keys["test"], "GET", "/api/cache/savings", since="1d").json()
    assert [r["key"] for r in mine["rows"]] == ["test"]
    row = mine["rows"][0]
    assert row["chat_calls"] == 3 and row["exact"]["hits"] == 2 and row["exact"]["hit_rate"] == round(2 / 3, 6)
    assert row["exact"]["saved_nano"] == 2 * row["spend_nano"] > 0  # each hit saved what the miss cost
    everyone = _call(gw, "admin-secret", "GET", "/api/cache/savings", by="workload").json()
    assert {r["key"] for r in everyone["rows"]} == {"test", "other"}
    stats = _call(gw, keys["test"], "GET", "/api/cache/stats").json()
    assert [(w["workload"], w["entries"], w["memory_entries"]) for w in stats["data"]] == [("test", 1, 1)]
    assert stats["memory"] is None  # the server's whole tier is the admin's to see
    admin_stats = _call(gw, "admin-secret", "GET", "/api/cache/stats").json()
    assert admin_stats["memory"]["entries"] == 2 and len(admin_stats["data"]) == 2


def test_another_workload_is_not_found_and_not_cleared(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(CACHE_CONFIG)
    keys = _warm(gw)
    for method, path in (
        ("GET", "/api/cache/savings"),
        ("GET", "/api/cache/stats"),
        ("GET", "/api/cache/checks"),
        ("DELETE", "/api/cache/entries"),
    ):
        answer = _call(gw, keys["other"], method, path, workload="test")
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["error"]["param"] == "workload"
    assert ask(gw, keys["test"], "hello there") == "hit"  # still cached
    viewer = gw.create_key("test", role=Role.VIEWER).secret
    assert _call(gw, viewer, "DELETE", "/api/cache/entries").status_code == 403
    assert _call(gw, "admin-secret", "DELETE", "/api/cache/entries").status_code == 400  # names no workload


def test_a_clear_forgets_the_stored_and_remembered_answers(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(CACHE_CONFIG)
    keys = _warm(gw)
    cleared = _call(gw, keys["test"], "DELETE", "/api/cache/entries")
    assert cleared.status_code == 200, cleared.text
    assert cleared.json() == {"workload": "test", "deleted": 1, "forgotten": 1}
    assert ask(gw, keys["test"], "hello there") == "miss"
    assert ask(gw, keys["other"], "hello there") == "hit"  # another workload's answers stay
    assert gw.state.slots[CACHE].memory.count("other") == 1
    by_admin = _call(gw, "admin-secret", "DELETE", "/api/cache/entries", workload="other").json()
    assert by_admin["deleted"] == 1 and by_admin["forgotten"] == 1


def test_checks_list_a_workloads_semantic_checks_and_precision(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(CACHE_CONFIG)
    now = time.time()
    append_checks(gw.state.engine, [
        HitCheck(f"chk_{i}", now - i, "test", f"req_{i}", i, 0.95, 0.9 if i < 3 else 0.2, i < 3, 1000, "scored")
        for i in range(4)
    ])  # fmt: skip
    save_semantic_state(gw.state.engine, SemanticState("test", 0.97, False, now, "precision 75% below 90%"))
    found = _call(gw, gw.create_key("test").secret, "GET", "/api/cache/checks", limit="2").json()
    assert (found["checked"], found["passed"], found["precision"]) == (4, 3, 0.75)
    assert [c["id"] for c in found["data"]] == ["chk_0", "chk_1"]
    stats = _call(gw, "admin-secret", "GET", "/api/cache/stats", workload="test").json()["data"][0]
    assert stats["checks"]["precision"] == 0.75 and stats["state_reason"].startswith("precision")


def test_the_routes_are_published_in_the_openapi_document(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(CACHE_CONFIG)
    paths = _call(gw, "admin-secret", "GET", "/api/openapi.json").json()["paths"]
    assert {"get"} <= set(paths["/api/cache/savings"]) and "delete" in paths["/api/cache/entries"]
    savings = paths["/api/cache/savings"]["get"]
    assert {p["name"] for p in savings["parameters"]} >= {"by", "since", "workload"}
