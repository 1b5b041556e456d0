"""Eval bindings over HTTP: a new prompt version runs its bound datasets on the server, and with
`require_eval_pass` a protected label moves only to a version with a finished, passing run; scoped per workload."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from rungway.domain.keys import KeyKind
from tests.api.http import ADMIN, call
from tests.evals.support import CONFIG
from tests.servers import Gateway
from tests.web.support import UiClient

GATED = (
    CONFIG
    + """prompts:
  approvals_required: 0
evals:
  run_concurrency: 2
  workloads:
    test: {require_eval_pass: true}
"""
)
NEVER = "zq-never-said-zq"


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(GATED, store_url=store_url)


def _dataset(gw: Gateway, name: str, *, passing: bool, workload: str = "test", count: int = 3) -> None:
    check = {"type": "length", "value": {"min": 1}} if passing else {"type": "contains", "value": NEVER}
    cases = [{"key": f"c{i}", "vars": {"question": f"q{i}"}, "assert": [check]} for i in range(count)]
    status, made = call(gw, "POST", "/api/datasets", ADMIN, {"name": name, "workload": workload, "cases": cases})
    assert status in (200, 201), made


def _version(gw: Gateway, key: str, text: str) -> int:
    body = {"name": "reply", "messages": [{"role": "user", "content": text + " {{question}}"}], "model": "gpt-4o-mini"}
    status, made = call(gw, "POST", "/api/prompts", key, body)
    assert status in (200, 201) and made["created"], made
    return int(made["version"])


def _finished_runs(gw: Gateway, key: str, version: int, want: int) -> list[dict[str, Any]]:
    """Poll until `want` runs of reply@version are no longer running (bounded: the test fails past 60 s)."""
    deadline = time.monotonic() + 60
    while True:
        status, listed = call(gw, "GET", "/api/eval-runs?prompt=reply&limit=100", key)
        assert status == 200, listed
        runs = [r for r in listed["data"] if r["prompt_version"] == version]
        if len(runs) >= want and all(r["status"] != "running" for r in runs):
            return runs
        assert time.monotonic() < deadline, runs
        time.sleep(0.1)


def _move(gw: Gateway, key: str, version: int) -> tuple[int, Any]:
    body = {"version": version, "reason": "ship it"}
    return call(gw, "POST", "/api/prompts/reply/labels/production", key, body)


def test_a_new_version_runs_its_bound_datasets_and_gates_the_protected_label(gw: Gateway) -> None:
    key = gw.create_key("test").secret
    _dataset(gw, "faq", passing=True)
    _dataset(gw, "hard", passing=False)
    v1 = _version(gw, key, "Before any binding:")
    status, refused = _move(gw, key, v1)
    assert status == 409 and refused["error"]["code"] == "eval_required", refused
    assert "no dataset is bound" in refused["error"]["message"] and "rungway eval bind" in refused["error"]["message"]
    for dataset in ("faq", "hard"):
        status, bound = call(gw, "POST", "/api/eval-bindings", key,
                             {"prompt": "reply", "dataset": dataset, "requirement": "pass_rate>=0.9"})  # fmt: skip
        assert status == 201 and bound["workload"] == "test", bound
    status, listed = call(gw, "GET", "/api/eval-bindings?prompt=reply", key)
    assert [b["dataset"] for b in listed["data"]] == ["faq", "hard"]

    v2 = _version(gw, key, "Answer:")
    runs = {r["dataset"]: r for r in _finished_runs(gw, key, v2, 2)}
    assert runs["faq"]["status"] == "finished" and runs["faq"]["trigger"] == "server"
    assert runs["faq"]["pass_rate"] == 1.0 and runs["faq"]["cases"] == 3
    assert runs["hard"]["pass_rate"] == 0.0
    status, refused = _move(gw, key, v2)
    message = refused["error"]["message"]
    assert status == 409 and refused["error"]["code"] == "eval_required", refused
    assert "reply@2" in message and "hard (pass_rate>=0.9" in message and "faq" not in message.split("not met:")[1]
    assert "rungway eval run --workload test" in message
    status, _ = call(gw, "GET", "/api/prompts/reply?label=production", key)
    assert status == 404  # the label did not move

    status, _ = call(gw, "POST", "/api/eval-bindings/delete", key, {"prompt": "reply", "dataset": "hard"})
    assert status == 200
    status, moved = _move(gw, key, v2)
    assert status == 200 and moved["to_version"] == v2, moved
    status, refused = _move(gw, key, v1)  # v1 never had a run on faq
    message = refused["error"]["message"]
    assert status == 409 and "reply@1" in message and "no finished run" in message
    status, moved = call(gw, "POST", "/api/prompts/reply/labels/canary", key, {"version": v1, "reason": "try"})
    assert status == 200, moved  # an unprotected label is not gated


def test_the_server_runs_calls_as_the_workload_with_its_internal_application_key(gw: Gateway) -> None:
    key = gw.create_key("test").secret
    _dataset(gw, "faq", passing=True, count=2)
    call(gw, "POST", "/api/eval-bindings", key, {"prompt": "reply", "dataset": "faq"})
    version = _version(gw, key, "Say:")
    [run] = _finished_runs(gw, key, version, 1)
    status, page = call(gw, "GET", f"/api/eval-runs/{run['id']}?limit=10", key)
    assert status == 200 and len(page["results"]) == 2 and all(r["request_id"] for r in page["results"])
    status, keys = call(gw, "GET", "/api/keys?workload=test", ADMIN)
    internal = [k for k in keys["data"] if k["name"] == "rungway eval runs (server)"]
    assert len(internal) == 1 and internal[0]["kind"] == "application" and internal[0]["workload"] == "test"


def test_bindings_are_scoped_to_the_callers_workload(gw: Gateway) -> None:
    mine = gw.create_key("test").secret
    other = gw.create_key("other").secret
    _dataset(gw, "faq", passing=True)
    _dataset(gw, "theirs", passing=True, workload="other")
    status, _ = call(gw, "POST", "/api/eval-bindings", mine, {"prompt": "reply", "dataset": "faq"})
    assert status == 201
    status, body = call(gw, "POST", "/api/eval-bindings", mine, {"prompt": "reply", "dataset": "theirs"})
    assert status == 404, body
    status, body = call(gw, "POST", "/api/eval-bindings", other, {"workload": "test", "prompt": "x", "dataset": "faq"})
    assert status == 403, body
    status, listed = call(gw, "GET", "/api/eval-bindings", other)
    assert status == 200 and listed["data"] == []
    status, listed = call(gw, "GET", "/api/eval-bindings?workload=test", other)
    assert status == 404
    status, body = call(gw, "POST", "/api/eval-bindings/delete", other, {"prompt": "reply", "dataset": "faq"})
    assert status == 404
    status, listed = call(gw, "GET", "/api/eval-bindings?workload=test", ADMIN)
    assert [b["dataset"] for b in listed["data"]] == ["faq"]


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": "reply", "dataset": "faq", "requirement": "pass_rate>=2"},
        {"prompt": "reply", "dataset": "faq", "requirement": "accuracy>=0.5"},
        {"prompt": "bad name", "dataset": "faq"},
        {"prompt": "reply"},
        {"prompt": "reply", "dataset": "faq", "extra": 1},
    ],
)
def test_bad_bindings_are_400s(gw: Gateway, body: dict[str, Any]) -> None:
    _dataset(gw, "faq", passing=True)
    status, answer = call(gw, "POST", "/api/eval-bindings", gw.create_key("test").secret, body)
    assert status == 400, answer


def test_the_gate_holds_for_any_caller_of_the_prompts_service_on_the_server(gw: Gateway) -> None:
    """The dashboard's pages move labels through the service, not the API: the server's guards apply there too."""
    from rungway.domain.keys import KeyKind, Role
    from rungway.errors import Conflict
    from rungway.prompts.config import PromptsConfig, ReviewPolicy
    from rungway.prompts.model import Actor
    from rungway.prompts.service import move_label

    version = _version(gw, gw.create_key("test").secret, "Hello")
    ann = Actor("ann", "key_ann", Role.DEVELOPER, KeyKind.PERSON, "test")
    lax = PromptsConfig(default=ReviewPolicy(approvals_required=0))
    with pytest.raises(Conflict) as refused:
        move_label(gw.state.engine, lax, workload="test", name="reply", label="production", version=version,
                   reason="ship", actor=ann)  # fmt: skip
    assert refused.value.code == "eval_required"


def test_a_version_made_in_the_dashboard_runs_its_bound_datasets_too(
    gw: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    key = gw.create_key("test").secret
    _dataset(gw, "faq", passing=True)
    _version(gw, key, "First:")
    status, bound = call(gw, "POST", "/api/eval-bindings", key, {"prompt": "reply", "dataset": "faq"})
    assert status == 201, bound
    person = ui_client(gw)
    assert person.sign_in(gw.create_key("test", kind=KeyKind.PERSON, owner="ana").secret).status_code == 303
    content = '- {role: user, content: "From the dashboard: {{question}}"}\n'
    made = person.post("/ui/prompts", {"name": "reply", "content": content, "message": "in the browser"})
    assert made.status_code == 303 and "/ui/prompts/reply/versions/2" in made.headers["Location"], made.text
    runs = _finished_runs(gw, key, 2, 1)
    assert [(r["dataset"], r["trigger"], r["status"]) for r in runs] == [("faq", "server", "finished")]
