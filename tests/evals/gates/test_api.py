"""/api/eval-runs/compare and /api/eval-runs/{id}/gates on both stores: scoped to the workload, 4xx on bad input."""

from __future__ import annotations

from collections.abc import Callable

from rungway.domain.keys import Role
from tests.api.http import ADMIN, call
from tests.evals.gates.support import all_pass, planted, seed_run
from tests.servers import Gateway

GATE = {"passed": False, "requirements": [{"expression": "pass_rate>=0.9", "value": 0.75, "passed": False}],
        "regressions": 10, "significant_regressions": ["(overall)"], "notes": []}  # fmt: skip


def test_compare_finds_the_planted_regressions_and_is_scoped(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = gateway_factory(store_url=store_url)
    mine, other = gw.create_key("test").secret, gw.create_key("other").secret
    a = seed_run(gw, mine, all_pass())
    b = seed_run(gw, mine, planted())
    status, cmp = call(gw, "GET", f"/api/eval-runs/compare?a={a}&b={b}", mine)
    assert status == 200, cmp
    assert cmp["matched"] == 40 and len(cmp["regressions"]) == 10 and cmp["improvements"] == []
    assert cmp["regressions"][0] == {"case_key": "case-000", "repeat": 0, "score_a": 1.0, "score_b": 0.0,
                                     "explanation": "contains: expected 'refund' in case-000"}  # fmt: skip
    assert cmp["significant_regressions"] == ["(overall)", "contains"]
    assert (cmp["a"]["id"], cmp["b"]["id"]) == (a, b)
    status, same = call(gw, "GET", f"/api/eval-runs/compare?a={a}&b={a}", mine)
    assert status == 200 and same["significant_regressions"] == [] and same["regressions"] == []
    theirs = seed_run(gw, other, all_pass(), workload="other")
    for query in (f"a={a}&b={b}", f"a={theirs}&b={b}", f"a={a}&b=run_missing"):
        status, body = call(gw, "GET", f"/api/eval-runs/compare?{query}", other if "missing" not in query else mine)
        assert status == 404 and body["error"]["param"] in ("id", "a", "b"), (query, body)
    status, _ = call(gw, "GET", f"/api/eval-runs/compare?a={a}&b={theirs}", ADMIN)
    assert status == 200  # the admin reads every workload's runs
    elsewhere = seed_run(gw, mine, all_pass(), dataset="faq-2")
    for query, param in ((f"a={a}", "b"), (f"a={a}&b=x;drop", "b"), (f"a={a}&b={b}&alpha=2", "alpha"),
                         (f"a={a}&b={elsewhere}", "b")):  # fmt: skip
        status, body = call(gw, "GET", f"/api/eval-runs/compare?{query}", mine)
        assert status == 400 and body["error"]["param"] == param, (query, body)


def test_a_gate_verdict_is_recorded_on_the_run_and_read_back_by_its_workload_only(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = gateway_factory(store_url=store_url)
    mine, other = gw.create_key("test").secret, gw.create_key("other").secret
    viewer = gw.create_key("test", role=Role.VIEWER).secret
    a, b = seed_run(gw, mine, all_pass()), seed_run(gw, mine, planted())
    status, made = call(gw, "POST", f"/api/eval-runs/{b}/gates", mine, {**GATE, "baseline_run": a})
    assert status == 201, made
    assert (made["run_id"], made["passed"], made["baseline_run"], made["workload"]) == (b, False, a, "test")
    status, listed = call(gw, "GET", f"/api/eval-runs/{b}/gates", viewer)
    assert status == 200 and [g["id"] for g in listed["data"]] == [made["id"]]
    assert listed["data"][0]["requirements"][0]["expression"] == "pass_rate>=0.9"
    assert call(gw, "POST", f"/api/eval-runs/{b}/gates", viewer, GATE)[0] == 403
    for method, body in (("GET", None), ("POST", GATE)):
        status, answer = call(gw, method, f"/api/eval-runs/{b}/gates", other, body)
        assert status == 404, answer
    theirs = seed_run(gw, other, all_pass(), workload="other")
    status, answer = call(gw, "POST", f"/api/eval-runs/{b}/gates", mine, {**GATE, "baseline_run": theirs})
    assert status == 404, answer
    for bad, param in (({"passed": "yes"}, "passed"), ({**GATE, "extra": 1}, "extra"),
                       ({**GATE, "requirements": [{"expression": "x" * 301, "passed": True}]}, "requirements"),
                       ({**GATE, "baseline_run": "../etc"}, "baseline_run")):  # fmt: skip
        status, answer = call(gw, "POST", f"/api/eval-runs/{b}/gates", mine, bad)
        assert status == 400 and param in answer["error"]["message"] + str(answer["error"].get("param")), answer
