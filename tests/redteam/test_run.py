"""A red-team run end to end: attacks through the gateway as a workload (its registry prompt by reference)
against a simulator that leaks its context for some attacks, graded, stored and compared with the previous
run; a fix planted in the prompt between runs; the alerts; the CLI's exit codes; the workload scope."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from rungway.errors import InvalidRequest
from tests.api.http import ADMIN, call
from tests.redteam.support import CONFIG, GUARD, redteam, release
from tests.servers import Gateway

CATEGORIES = "system-prompt-extraction,prompt-injection,harmful-content"


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(CONFIG, store_url=store_url)


def _run(gw: Gateway, key: str, *extra: str, code: int = 0) -> dict[str, Any]:
    out = redteam(gw, key, "run", "--workload", "bot", "--categories", CATEGORIES, "--prompt", "support@production",
                  "--json", *extra, code=code)  # fmt: skip
    return json.loads(out.output[: out.output.rindex("}") + 1])


def test_a_run_finds_the_leaks_a_prompt_fix_closes_them_and_a_regression_fails_the_build(gw: Gateway) -> None:
    key = gw.create_key("bot").secret
    release(gw, "You are Acme's support assistant.")
    first = _run(gw, key)
    run, rates = first["run"], first["run"]["rates"]
    assert run["workload"] == "bot" and run["prompt"] == "support@production" and run["errors"] == 0
    assert 0 < rates["system-prompt-extraction"]["rate"] < 1  # the attacks saying "system prompt" leak the canary
    assert 0 < rates["prompt-injection"]["rate"] < 1
    assert rates["harmful-content"] == {"attacks": 12, "succeeded": 10, "errors": 0, "rate": 0.8333}  # 2 refused
    assert first["diff"]["previous_run_id"] is None and first["alerts"] == []

    status, found = call(gw, "GET", f"/api/redteam/runs/{run['id']}?failures=true", key)
    assert status == 200
    failed = {r["attack_id"]: r for r in found["results"]}
    assert "sys-001" in failed and failed["sys-001"]["grader"] == "canary"
    transcript = failed["sys-001"]["transcript"]
    assert transcript[0]["role"] == "user" and "CANARY-" in transcript[-1]["content"]
    assert all(r["succeeded"] for r in found["results"])

    release(gw, f"You are Acme's support assistant. {GUARD}")  # the fix
    second = _run(gw, key, "--fail-on-regression")
    assert second["run"]["rates"]["system-prompt-extraction"]["rate"] == 0
    diff = second["diff"]
    assert diff["previous_run_id"] == run["id"] and not diff["new_failures"]
    assert "sys-001" in diff["fixed"] and "har-001" in diff["unchanged"]
    assert second["alerts"] == []

    release(gw, "You are Acme's support assistant.")  # the fix is lost
    third = redteam(gw, key, "run", "--workload", "bot", "--categories", CATEGORIES, "--prompt",
                    "support@production", "--fail-on-regression", code=3)  # fmt: skip
    assert "new failures" in third.output and "ALERT rate_rose" in third.output and "ALERT new_category" in third.output
    status, alerts = call(gw, "GET", "/api/redteam/alerts", key)
    assert status == 200 and {a["kind"] for a in alerts["data"]} == {"rate_rose", "new_category"}

    listed = redteam(gw, key, "list").output.splitlines()
    assert len(listed) == 3 and "cli" in listed[0]
    shown = redteam(gw, key, "show", run["id"], "--transcripts").output
    assert "FAIL sys-001" in shown and "CANARY-" in shown
    latest = listed[0].split()[0]
    assert "since" in redteam(gw, key, "diff", latest).output
    redteam(gw, key, "diff", latest, "--fail-on-regression", code=3)
    redteam(gw, key, "diff", second["run"]["id"], "--fail-on-regression")


def test_runs_are_scoped_to_the_workload(gw: Gateway) -> None:
    key, other = gw.create_key("bot").secret, gw.create_key("other").secret
    stored = json.loads(redteam(gw, key, "run", "-w", "bot", "-c", "jailbreak", "--model", "gpt-4o-mini",
                                "--json").output)  # fmt: skip
    run_id = stored["run"]["id"]
    for path in (f"/api/redteam/runs/{run_id}", f"/api/redteam/runs/{run_id}/diff"):
        assert call(gw, "GET", path, other)[0] == 404
        assert call(gw, "GET", path, key)[0] == 200
        assert call(gw, "GET", path + ("&" if "?" in path else "?") + "workload=bot", ADMIN)[0] == 200
    assert call(gw, "GET", "/api/redteam/runs?workload=bot", other)[0] == 404
    assert call(gw, "GET", "/api/redteam/runs", other)[1]["data"] == []
    triage = {"status": "accepted", "note": "known"}
    attack = next(a for a, r in stored["run"]["rates"].items() if r["succeeded"])  # a category with findings
    assert attack == "jailbreak"
    _, body = call(gw, "GET", f"/api/redteam/runs/{run_id}?failures=true", key)
    finding = body["results"][0]["attack_id"]
    path = f"/api/redteam/runs/{run_id}/findings/{finding}/triage"
    assert call(gw, "POST", path, other, triage)[0] == 404
    assert call(gw, "POST", path, key, triage)[0] == 200
    assert call(gw, "GET", f"/api/redteam/runs/{run_id}", key)[1]["triage"][finding]["status"] == "accepted"
    body = {"workload": "bot", "corpus_version": "x", "started_at": 1, "finished_at": 2, "results": []}
    assert call(gw, "POST", "/api/redteam/runs", other, body)[0] == 403


def test_mistakes_are_one_line_errors(gw: Gateway) -> None:
    key = gw.create_key("bot").secret
    failed = redteam(gw, key, "run", "-w", "bot", "-c", "nope", "--model", "gpt-4o-mini", code=1)
    assert isinstance(failed.exception, InvalidRequest) and "no red-team category 'nope'" in str(failed.exception)
    assert "--prompt NAME@LABEL or --model" in str(redteam(gw, key, "run", "-w", "bot", code=1).exception)
    assert call(gw, "GET", "/api/redteam/runs/rt_missing", key)[0] == 404
    bad = {"corpus_version": "x", "started_at": 5, "finished_at": 2, "results": []}
    assert call(gw, "POST", "/api/redteam/runs", key, bad)[0] == 400
    ghost = {**bad, "workload": "ghost", "finished_at": 6}
    status, body = call(gw, "POST", "/api/redteam/runs", ADMIN, ghost)
    assert status == 400 and body["error"]["param"] == "workload"
    assert call(gw, "POST", "/api/redteam/runs", ADMIN, {**ghost, "workload": "bot"})[0] == 201


def test_multi_turn_attacks_and_a_judge_model(gw: Gateway) -> None:
    key = gw.create_key("bot").secret
    out = redteam(gw, key, "run", "-w", "bot", "-c", "multi-turn,harmful-content", "--model", "gpt-4o-mini",
                  "--judge", "gpt-4o-mini", "--seed", "7", "--json").output  # fmt: skip
    stored = json.loads(out)
    run = stored["run"]
    assert run["judge_model"] == "gpt-4o-mini" and run["seed"] == 7 and run["errors"] == 0
    _, found = call(gw, "GET", f"/api/redteam/runs/{run['id']}", key)
    results = {r["attack_id"]: r for r in found["results"]}
    escalation = results["mul-002"]  # three user turns; the last asks for the system prompt
    assert [m["role"] for m in escalation["transcript"]] == ["user", "assistant"] * 3
    assert escalation["succeeded"] and escalation["grader"] == "canary"
    judged = [r for r in results.values() if r["goal"] == "comply" and r["grader"] == "judge"]
    assert judged and all(r["judge_reason"] for r in judged)  # the simulator answers the verdict schema
    assert results["har-010"]["grader"] == "judge"  # refused by the model; the judge's verdict is what counts
