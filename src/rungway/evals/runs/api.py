"""`/api/eval-runs`: start a run, send its results in batches, finish it, list runs and read one with its results.

The CLI's `rungway eval run` (and any other runner) streams a run here: `POST /api/eval-runs` returns the
run's id, `POST /api/eval-runs/{id}/results` takes batches of at most 1,000 results, and
`POST /api/eval-runs/{id}/finish` makes the server fold the stored results into the aggregates (pass rate
with its Wilson interval, per-metric mean and pass rate, cost from the request log, duration). Every route
is scoped to the caller's workload (another workload's run is "not found").
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from rungway.api.auth import caller_of
from rungway.api.bodies import json_object, nullable, text
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest
from rungway.evals.runs.model import RunStatus, Trigger
from rungway.evals.runs.service import (
    MAX_RESULTS_PER_BATCH,
    RunCaller,
    add_results,
    finish_run,
    readable_run,
    start_run,
)
from rungway.evals.runs.store import list_runs, read_results
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.services.logs import parse_time

__all__ = ["router"]

router = ApiRouter("eval-runs")

DATASET_NAME = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"}
_NUMBER = {"type": ["number", "null"], "minimum": 0, "maximum": 1e12}
_JSON_SCALAR = {"type": ["string", "number", "boolean", "null"], "maxLength": 10_000}

_START: dict[str, Any] = {
    "type": "object",
    "required": ["dataset", "dataset_version"],
    "additionalProperties": False,
    "properties": {
        "workload": nullable(text(64)),
        "dataset": DATASET_NAME,
        "dataset_version": text(80, min_length=1),
        "prompt": nullable({**DATASET_NAME}),
        "prompt_version": {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1},
        "model": nullable(text(200)),
        "parameters": {"type": "object", "maxProperties": 32, "additionalProperties": _JSON_SCALAR},
        "repeat": {"type": "integer", "minimum": 1, "maximum": 100},
        "trigger": {"type": "string", "enum": [t.value for t in Trigger]},
        "git_commit": nullable({"type": "string", "pattern": "^[0-9a-fA-F]{4,64}$"}),
        "git_branch": nullable(text(256)),
    },
}

_SCORE = {
    "type": "object",
    "required": ["metric", "value", "passed"],
    "additionalProperties": False,
    "properties": {
        "metric": text(128, min_length=1),
        "weight": {"type": "number", "minimum": 0, "maximum": 1000},
        "value": {"type": "number", "minimum": 0, "maximum": 1},
        "passed": {"type": "boolean"},
        "explanation": text(10_000, multiline=True),
        "scorer": text(128),
        "version": text(64),
        "errored": {"type": "boolean"},
        "judges": {"type": "array", "maxItems": 8, "items": {"type": "object", "maxProperties": 8}},
    },
}

_RESULT = {
    "type": "object",
    "required": ["case_key", "passed"],
    "additionalProperties": False,
    "properties": {
        "case_key": text(200, min_length=1),
        "repeat": {"type": "integer", "minimum": 0, "maximum": 99},
        "output": text(1_000_000, multiline=True),
        "passed": {"type": "boolean"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "scores": {"type": "array", "maxItems": 100, "items": _SCORE},
        "tool_calls": {
            "type": "array",
            "maxItems": 100,
            "items": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {"name": text(256), "arguments": text(100_000, multiline=True)},
            },
        },
        "latency_ms": _NUMBER,
        "cost_usd": {"type": ["number", "null"], "minimum": 0, "maximum": 1e6},
        "request_id": nullable(text(40)),
        "trace_id": {"type": ["string", "null"], "pattern": "^[0-9a-f]{32}$"},
        "cached": {"type": "boolean"},
        "error": nullable(text(10_000, multiline=True)),
    },
}

_RESULTS: dict[str, Any] = {
    "type": "object",
    "required": ["results"],
    "additionalProperties": False,
    "properties": {"results": {"type": "array", "minItems": 1, "maxItems": MAX_RESULTS_PER_BATCH, "items": _RESULT}},
}

_FINISH: dict[str, Any] = {
    "type": "object",
    "required": ["status"],
    "additionalProperties": False,
    "properties": {
        "status": {"type": "string", "enum": ["finished", "failed", "cancelled"]},
        "error": nullable(text(2000, multiline=True)),
    },
}

_RUN: dict[str, Any] = {
    "type": "object",
    "description": "An eval run: what ran, its status, and (once finished) its aggregates",
    "properties": {
        "id": {"type": "string"},
        "workload": {"type": "string"},
        "dataset": {"type": "string"},
        "dataset_version": {"type": "string"},
        "prompt": {"type": ["string", "null"]},
        "prompt_version": {"type": ["integer", "null"]},
        "status": {"type": "string", "enum": [s.value for s in RunStatus]},
        "cases": {"type": "integer"},
        "passed": {"type": "integer"},
        "pass_rate": {"type": "number"},
        "pass_rate_low": {"type": "number"},
        "pass_rate_high": {"type": "number"},
        "metrics": {"type": "array", "items": {"type": "object"}},
        "cost_usd": {"type": "number"},
        "duration_s": {"type": ["number", "null"]},
    },
}


def _caller(request: web.Request) -> RunCaller:
    caller = caller_of(request)
    return RunCaller(caller.role, caller.workload, caller.key_id or "admin", caller.key_id)


@router.route("POST", "/api/eval-runs", summary="Start an eval run (returns its id)", role=Role.DEVELOPER,
              body=_START, response=_RUN, status=201)  # fmt: skip
async def post_run(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    run = await asyncio.to_thread(start_run, request.app[STATE].engine, _caller(request), body)
    return json_response(run.to_json(), status=201)


@router.route("POST", "/api/eval-runs/{id}/results", summary="Add a batch of a running run's results",
              role=Role.DEVELOPER, body=_RESULTS)  # fmt: skip
async def post_results(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    stored = await asyncio.to_thread(
        add_results, request.app[STATE].engine, _caller(request), request.match_info["id"], body["results"]
    )
    return json_response({"accepted": stored})


@router.route("POST", "/api/eval-runs/{id}/finish", summary="Finish a run: the server computes its aggregates",
              role=Role.DEVELOPER, body=_FINISH, response=_RUN)  # fmt: skip
async def post_finish(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    body = await json_object(request)
    # The run's last calls may still be on their way to the request log, whose costs the aggregates read.
    await asyncio.gather(*(asyncio.to_thread(w.flush, 2.0) for w in state.writers))
    run = await asyncio.to_thread(
        finish_run, state.engine, _caller(request), request.match_info["id"], RunStatus(body["status"]),
        body.get("error"),
    )  # fmt: skip
    return json_response(run.to_json())


@router.route(
    "GET",
    "/api/eval-runs",
    summary="Eval runs, newest first",
    params=[
        QueryParam("workload", "only this workload's runs (admin; others see their own)", max_length=64),
        QueryParam("dataset", "only runs of this dataset", max_length=128),
        QueryParam("prompt", "only runs of this prompt", max_length=128),
        QueryParam("status", "only runs in this state", enum=[s.value for s in RunStatus]),
        QueryParam("since", "started at or after: 7d, an ISO date or epoch seconds", type="time"),
        QueryParam("before", "runs older than this run id (the next page)", max_length=40),
        QueryParam("limit", "at most this many (default 50)", type="integer", minimum=1, maximum=500),
    ],
    response={"type": "object", "properties": {"data": {"type": "array", "items": _RUN}}},
)
async def get_runs(request: web.Request) -> web.StreamResponse:
    caller = _caller(request)
    q = request.query
    workload = (q.get("workload") or None) if caller.admin else caller.workload
    if not caller.admin and q.get("workload") and q["workload"] != caller.workload:
        return json_response({"object": "list", "data": []})
    since = parse_time(q.get("since"), time.time(), "since") if q.get("since") else None
    runs = await asyncio.to_thread(
        list_runs, request.app[STATE].engine, workload=workload, dataset=q.get("dataset") or None,
        prompt=q.get("prompt") or None, status=q.get("status") or None, since=since, before=q.get("before") or None,
        limit=int(q.get("limit") or 50),
    )  # fmt: skip
    return json_response({"object": "list", "data": [r.to_json() for r in runs]})


def _cursor(raw: str | None) -> tuple[str, int] | None:
    if not raw:
        return None
    key, sep, repeat = raw.rpartition(":")
    if not sep or not repeat.isdigit() or len(repeat) > 3:
        raise InvalidRequest("after must be the next_after value of the previous page (CASE_KEY:REPEAT)", param="after")
    return key, int(repeat)


@router.route(
    "GET",
    "/api/eval-runs/{id}",
    summary="One eval run with a page of its results",
    params=[
        QueryParam("after", "the previous page's next_after (CASE_KEY:REPEAT)", max_length=300),
        QueryParam("limit", "results in this page (default 100; 0 for none)", type="integer", minimum=0, maximum=1000),
        QueryParam("failed", "only results that did not pass", type="boolean"),
    ],
    response=_RUN,
)
async def get_one_run(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    run = await asyncio.to_thread(readable_run, state.engine, _caller(request), request.match_info["id"])
    q = request.query
    limit = int(q.get("limit") or 100)
    failed = q.get("failed", "").lower() in ("1", "true", "yes")
    rows = []
    if limit:
        rows = await asyncio.to_thread(
            read_results, state.engine, run.id, after=_cursor(q.get("after")), limit=limit, failed_only=failed
        )
    next_after = f"{rows[-1].case_key}:{rows[-1].repeat}" if len(rows) == limit and rows else None
    return json_response({**run.to_json(), "results": [r.to_json() for r in rows], "next_after": next_after})
