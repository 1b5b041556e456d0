"""/api/eval-runs: scoped to the caller's workload, every bad input a 4xx naming the field, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from rungway.domain.keys import Role
from tests.api.http import ADMIN, call
from tests.evals.runs.support import ensure_dataset
from tests.servers import Gateway

START = {"dataset": "faq", "dataset_version": "1", "model": "gpt-4o-mini"}
RESULT = {"case_key": "a", "passed": True, "score": 1.0, "output": "hello",
          "scores": [{"metric": "contains", "value": 1.0, "passed": True}]}  # fmt: skip


def _start(gw: Gateway, key: str, **body: Any) -> tuple[int, Any]:
    ensure_dataset(gw)
    return call(gw, "POST", "/api/eval-runs", key, {**START, **body})


def test_a_run_names_a_dataset_version_its_workload_sees(gateway: Gateway) -> None:
    mine = gateway.create_key("test").secret
    ensure_dataset(gateway, "other", "others-only")
    for change, expected in (({"dataset": "missing"}, 404), ({"dataset": "others-only"}, 404),
                             ({"dataset_version": "2"}, 404), ({"dataset_version": "v1"}, 400)):  # fmt: skip
        status, body = _start(gateway, mine, **change)
        assert status == expected, (change, body)


def test_a_key_reads_and_writes_only_its_own_workloads_runs(gateway: Gateway) -> None:
    mine = gateway.create_key("test").secret
    other = gateway.create_key("other").secret
    status, run = _start(gateway, mine)
    assert status == 201 and run["workload"] == "test" and run["status"] == "running"
    status, body = _start(gateway, other, workload="test")
    assert status == 403 and "workload" in body["error"]["message"]
    for method, path, body in (
        ("GET", f"/api/eval-runs/{run['id']}", None),
        ("POST", f"/api/eval-runs/{run['id']}/results", {"results": [RESULT]}),
        ("POST", f"/api/eval-runs/{run['id']}/finish", {"status": "finished"}),
    ):
        status, answer = call(gateway, method, path, other, body)
        assert status == 404, (path, answer)
        status, answer = call(gateway, method, path.replace(run["id"], "run_missing"), mine, body)
        assert status == 404, (path, answer)
    status, listed = call(gateway, "GET", "/api/eval-runs", other)
    assert status == 200 and listed["data"] == []
    status, listed = call(gateway, "GET", "/api/eval-runs?workload=test", other)
    assert status == 200 and listed["data"] == []
    status, listed = call(gateway, "GET", "/api/eval-runs?workload=test", ADMIN)
    assert [r["id"] for r in listed["data"]] == [run["id"]]
    status, listed = call(gateway, "GET", "/api/eval-runs", mine)
    assert [r["id"] for r in listed["data"]] == [run["id"]]


def test_a_viewer_reads_but_cannot_start_or_write(gateway: Gateway) -> None:
    viewer = gateway.create_key("test", role=Role.VIEWER).secret
    status, body = _start(gateway, viewer)
    assert status == 403
    status, run = _start(gateway, ADMIN, workload="test")
    assert status == 201
    status, body = call(gateway, "POST", f"/api/eval-runs/{run['id']}/results", viewer, {"results": [RESULT]})
    assert status == 403
    status, body = call(gateway, "GET", f"/api/eval-runs/{run['id']}", viewer)
    assert status == 200 and body["id"] == run["id"]


def test_a_retried_batch_stores_each_result_once_and_finish_happens_once(gateway: Gateway) -> None:
    key = gateway.create_key().secret
    _, run = _start(gateway, key, repeat=2)
    path = f"/api/eval-runs/{run['id']}"
    batch = {"results": [RESULT, {**RESULT, "repeat": 1, "passed": False, "score": 0.0}]}
    for _ in range(2):
        status, body = call(gateway, "POST", path + "/results", key, batch)
        assert status == 200 and body["accepted"] == 2
    status, scores = call(gateway, "GET", f"/api/scores?run_id={run['id']}", key)
    assert status == 200 and len(scores["data"]) == 2  # one per result's assertion, not per POST
    status, done = call(gateway, "POST", path + "/finish", key, {"status": "finished"})
    assert status == 200 and done["cases"] == 2 and done["passed"] == 1 and done["status"] == "finished"
    assert done["metrics"] == [{"name": "contains", "count": 2, "mean": 1.0, "pass_rate": 1.0, "errored": 0}]
    status, body = call(gateway, "POST", path + "/finish", key, {"status": "finished"})
    assert status == 409
    status, body = call(gateway, "POST", path + "/results", key, batch)
    assert status == 409


BAD_STARTS = [
    ({"dataset": "bad name!"}, "dataset"),
    ({"dataset_version": ""}, "dataset_version"),
    ({"repeat": 0}, "repeat"),
    ({"repeat": 101}, "repeat"),
    ({"prompt": "p"}, "prompt_version"),
    ({"prompt_version": 0, "prompt": "p"}, "prompt_version"),
    ({"trigger": "cron"}, "trigger"),
    ({"git_commit": "not-hex"}, "git_commit"),
    ({"parameters": {"nested": {"a": 1}}}, "parameters"),
    ({"surprise": 1}, "surprise"),
]


@pytest.mark.parametrize(("change", "field"), BAD_STARTS)
def test_a_bad_start_is_a_400_naming_the_field(gateway: Gateway, change: dict[str, Any], field: str) -> None:
    status, body = _start(gateway, ADMIN, workload="test", **change)
    assert status == 400, body
    assert field in body["error"]["message"]


def test_the_admin_key_must_name_the_workload(gateway: Gateway) -> None:
    status, body = _start(gateway, ADMIN)
    assert status == 400 and "workload" in body["error"]["message"]


BAD_RESULTS = [
    ({"results": []}, "results"),
    ({"results": [RESULT] * 1001}, "results"),
    ({"results": [{**RESULT, "repeat": 1}]}, "repeat"),
    ({"results": [{**RESULT, "score": 2}]}, "score"),
    ({"results": [{**RESULT, "case_key": ""}]}, "case_key"),
    ({"results": [{**RESULT, "scores": [{"metric": "m", "value": -1, "passed": True}]}]}, "value"),
    ({"results": [{**RESULT, "cost_usd": -1}]}, "cost_usd"),
    ({"results": [{**RESULT, "extra": 1}]}, "extra"),
    ({"results": [{**RESULT, "trace_id": "not-a-trace"}]}, "trace_id"),
    ({"results": [{"passed": True}]}, "case_key"),
]


@pytest.mark.parametrize(("body", "field"), BAD_RESULTS)
def test_a_bad_batch_is_a_400_naming_the_field(gateway: Gateway, body: dict[str, Any], field: str) -> None:
    _, run = _start(gateway, ADMIN, workload="test")
    status, answer = call(gateway, "POST", f"/api/eval-runs/{run['id']}/results", ADMIN, body)
    assert status == 400, answer
    assert field in answer["error"]["message"]


def test_bad_queries_and_finishes_are_400s(gateway: Gateway) -> None:
    _, run = _start(gateway, ADMIN, workload="test")
    for path, body in (
        (f"/api/eval-runs/{run['id']}?after=no-repeat", None),
        (f"/api/eval-runs/{run['id']}?limit=5000", None),
        ("/api/eval-runs?status=bogus", None),
        ("/api/eval-runs?since=yesterday", None),
    ):
        status, answer = call(gateway, "GET", path, ADMIN, body)
        assert status == 400, (path, answer)
    status, answer = call(gateway, "POST", f"/api/eval-runs/{run['id']}/finish", ADMIN, {"status": "running"})
    assert status == 400
