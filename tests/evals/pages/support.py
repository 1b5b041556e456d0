"""Seeding eval runs for the page tests through the real API (dataset, run, results, finish)."""

from __future__ import annotations

from typing import Any

from tests.api.http import ADMIN, call
from tests.servers import Gateway


def _result(key: str, passed: bool, trace_id: str | None = None) -> dict[str, Any]:
    explanation = "output mentions refunds" if passed else "expected 'refund' in the output <b>not found</b>"
    return {"case_key": key, "passed": passed, "score": 1.0 if passed else 0.0, "output": f"answer to {key}",
            "trace_id": trace_id, "latency_ms": 120.0,
            "scores": [{"metric": "contains", "value": 1.0 if passed else 0.0, "passed": passed,
                        "explanation": explanation, "scorer": "contains"}]}  # fmt: skip


def seed_run(
    gw: Gateway,
    workload: str = "test",
    dataset: str = "faq",
    failing: int = 1,
    passing: int = 2,
    outcomes: dict[str, bool] | None = None,
) -> str:
    """A finished run of `workload` on its dataset version 1, with `failing` and `passing` cases (or the
    cases named in `outcomes`, passed or not); its id."""
    case = {"key": "only", "messages": [{"role": "user", "content": "hi"}]}
    status, made = call(gw, "POST", "/api/datasets", ADMIN, {"name": dataset, "workload": workload, "cases": [case]})
    assert status in (200, 201), made
    start = {"dataset": dataset, "dataset_version": "1", "model": "gpt-4o-mini", "workload": workload}
    status, run = call(gw, "POST", "/api/eval-runs", ADMIN, start)
    assert status == 201, run
    results = [_result(f"fail-{i}", False, f"{i:032x}") for i in range(failing)]
    results += [_result(f"pass-{i}", True) for i in range(passing)]
    if outcomes is not None:
        results = [_result(key, passed) for key, passed in outcomes.items()]
    status, body = call(gw, "POST", f"/api/eval-runs/{run['id']}/results", ADMIN, {"results": results})
    assert status == 200, body
    status, body = call(gw, "POST", f"/api/eval-runs/{run['id']}/finish", ADMIN, {"status": "finished"})
    assert status == 200, body
    return str(run["id"])
