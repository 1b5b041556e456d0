"""Runs seeded through the eval-runs API with chosen outcomes, for the compare and gate tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.api.http import ADMIN, call
from tests.servers import Gateway


def ensure_faq(gw: Gateway, workload: str = "test", name: str = "faq") -> None:
    case = {"key": "only", "messages": [{"role": "user", "content": "hi"}]}
    status, made = call(gw, "POST", "/api/datasets", ADMIN, {"name": name, "workload": workload, "cases": [case]})
    assert status in (200, 201), made


def seed_run(
    gw: Gateway,
    key: str,
    outcomes: Mapping[str, bool],
    *,
    workload: str = "test",
    dataset: str = "faq",
    prompt: str | None = None,
    prompt_version: int | None = None,
) -> str:
    """A finished run of `dataset` whose case `k` passed when `outcomes[k]`; failures explain themselves."""
    ensure_faq(gw, workload, dataset)
    start: dict[str, Any] = {"dataset": dataset, "dataset_version": "1", "model": "gpt-4o-mini", "workload": workload}
    if prompt:
        start |= {"prompt": prompt, "prompt_version": prompt_version}
    status, run = call(gw, "POST", "/api/eval-runs", key, start)
    assert status == 201, run
    results = [{"case_key": k, "passed": ok, "score": float(ok), "output": "ok" if ok else "nope",
                "scores": [{"metric": "contains", "value": float(ok), "passed": ok,
                            "explanation": "found" if ok else f"expected 'refund' in {k}"}]}
               for k, ok in outcomes.items()]  # fmt: skip
    status, body = call(gw, "POST", f"/api/eval-runs/{run['id']}/results", key, {"results": results})
    assert status == 200, body
    status, body = call(gw, "POST", f"/api/eval-runs/{run['id']}/finish", key, {"status": "finished"})
    assert status == 200, body
    return str(run["id"])


def all_pass(n: int = 40) -> dict[str, bool]:
    return {f"case-{i:03d}": True for i in range(n)}


def planted(n: int = 40, every: int = 4) -> dict[str, bool]:
    """`n` cases of which every `every`-th fails: a regression against `all_pass(n)`."""
    return {f"case-{i:03d}": i % every != 0 for i in range(n)}
