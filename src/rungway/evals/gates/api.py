"""`/api/eval-runs/compare` and `/api/eval-runs/{id}/gates`: compare two runs; record and read gate verdicts.

Both runs of a comparison must be readable by the caller (another workload's run is "not found", as a
missing one) and of the same dataset. A gate verdict is recorded on the run by `rungway eval gate`, so the
assessment can later see a gate before each production change.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web
from sqlalchemy import Engine

from rungway.api.auth import caller_of
from rungway.api.bodies import json_object, nullable, text
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.ids import new_id
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, PermissionDenied
from rungway.evals.gates.compare import CaseRecord, Comparison, compare_records
from rungway.evals.gates.store import GateRecord, insert_gate, list_gates
from rungway.evals.runs.service import RunCaller, readable_run
from rungway.evals.runs.store import read_results
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE

__all__ = ["MAX_COMPARED_RESULTS", "load_records", "router"]

router = ApiRouter("eval-gates")

MAX_COMPARED_RESULTS = 50_000
PAGE = 1000
RUN_ID = "^run_[A-Za-z0-9_-]{1,36}$"

_REQUIREMENT = {
    "type": "object",
    "required": ["expression", "passed"],
    "additionalProperties": False,
    "properties": {
        "expression": text(300, min_length=1),
        "value": {"type": ["number", "null"]},
        "passed": {"type": "boolean"},
        "reason": text(1000),
    },
}

_GATE: dict[str, Any] = {
    "type": "object",
    "required": ["passed"],
    "additionalProperties": False,
    "properties": {
        "passed": {"type": "boolean"},
        "requirements": {"type": "array", "maxItems": 50, "items": _REQUIREMENT},
        "baseline_run": nullable({"type": "string", "pattern": RUN_ID}),
        "regressions": {"type": "integer", "minimum": 0, "maximum": 10_000_000},
        "significant_regressions": {"type": "array", "maxItems": 100, "items": text(128)},
        "notes": {"type": "array", "maxItems": 20, "items": text(1000)},
    },
}

_GATE_OUT = {
    "type": "object",
    "description": "A gate verdict recorded on a run",
    "properties": {"id": {"type": "string"}, "run_id": {"type": "string"}, "passed": {"type": "boolean"}},
}


def _caller(request: web.Request) -> RunCaller:
    caller = caller_of(request)
    return RunCaller(caller.role, caller.workload, caller.key_id or "admin", caller.key_id)


def load_records(engine: Engine, run_id: str) -> list[CaseRecord]:
    """All of a run's results as comparison records, a page at a time; refused past MAX_COMPARED_RESULTS."""
    records: list[CaseRecord] = []
    after: tuple[str, int] | None = None
    while True:
        rows = read_results(engine, run_id, after=after, limit=PAGE)
        records += [CaseRecord.from_json(r.to_json()) for r in rows]
        if len(records) > MAX_COMPARED_RESULTS:
            raise InvalidRequest(f"run {run_id} has more than {MAX_COMPARED_RESULTS} results, too many to compare")
        if len(rows) < PAGE:
            return records
        after = (rows[-1].case_key, rows[-1].repeat)


def compare_runs_of(engine: Engine, caller: RunCaller, a: str, b: str, alpha: float, seed: int) -> dict[str, Any]:
    run_a, run_b = readable_run(engine, caller, a), readable_run(engine, caller, b)
    if run_a.dataset != run_b.dataset:
        raise InvalidRequest(
            f"runs {a} and {b} are of different datasets ({run_a.dataset}, {run_b.dataset}); "
            "compare two runs of the same dataset",
            param="b",
        )
    comparison: Comparison = compare_records(load_records(engine, a), load_records(engine, b), alpha=alpha, seed=seed)
    return {"a": run_a.to_json(), "b": run_b.to_json(), **comparison.to_json()}


@router.route(
    "GET",
    "/api/eval-runs/compare",
    summary="Compare run b with run a case by case, with paired significance tests",
    params=[
        QueryParam("a", "the baseline run's id", required=True, max_length=40, pattern=RUN_ID),
        QueryParam("b", "the candidate run's id", required=True, max_length=40, pattern=RUN_ID),
        QueryParam("alpha", "the significance level (default 0.05)", type="number", minimum=0.001, maximum=0.5),
        QueryParam("seed", "the bootstrap's seed (default 0)", type="integer", minimum=0, maximum=2**31 - 1),
    ],
    response={"type": "object", "description": "matched cases, regressions, improvements, per-metric tests"},
)
async def get_compare(request: web.Request) -> web.StreamResponse:
    q = request.query
    data = await asyncio.to_thread(
        compare_runs_of, request.app[STATE].engine, _caller(request), q["a"], q["b"],
        float(q.get("alpha") or 0.05), int(q.get("seed") or 0),
    )  # fmt: skip
    return json_response(data)


def record_gate(engine: Engine, caller: RunCaller, run_id: str, body: dict[str, Any]) -> GateRecord:
    if caller.role is Role.VIEWER:
        raise PermissionDenied("a viewer key cannot record gate results")
    run = readable_run(engine, caller, run_id)
    baseline = body.get("baseline_run")
    if baseline:
        readable_run(engine, caller, baseline)
    detail: dict[str, Any] = {
        k: body[k] for k in ("requirements", "regressions", "significant_regressions", "notes") if k in body
    }
    record = GateRecord(new_id("gate_"), run.id, run.workload, bool(body["passed"]), baseline, detail,
                        caller.name, time.time())  # fmt: skip
    insert_gate(engine, record)
    return record


@router.route("POST", "/api/eval-runs/{id}/gates", summary="Record a gate verdict on a run", role=Role.DEVELOPER,
              body=_GATE, response=_GATE_OUT, status=201)  # fmt: skip
async def post_gate(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    record = await asyncio.to_thread(
        record_gate, request.app[STATE].engine, _caller(request), request.match_info["id"], body
    )
    return json_response(record.to_json(), status=201)


def gates_of(engine: Engine, caller: RunCaller, run_id: str) -> list[GateRecord]:
    run = readable_run(engine, caller, run_id)
    return list_gates(engine, run.id)


@router.route("GET", "/api/eval-runs/{id}/gates", summary="A run's recorded gate verdicts, newest first",
              response={"type": "object", "properties": {"data": {"type": "array", "items": _GATE_OUT}}})  # fmt: skip
async def get_gates(request: web.Request) -> web.StreamResponse:
    gates = await asyncio.to_thread(gates_of, request.app[STATE].engine, _caller(request), request.match_info["id"])
    return json_response({"object": "list", "data": [g.to_json() for g in gates]})
