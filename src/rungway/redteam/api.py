"""`/api/redteam/*`: store a run, list and read runs (per-category rates, findings with transcripts), the diff
from the previous run, triage a finding, the schedules, the alerts.

Scoped like every management route: a key that is not admin reads and writes its own workload only (another
workload's run is the same 404 as a missing one); an admin reads any with `?workload=` and names the workload a
run or schedule is for in the body.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from rungway.api.auth import caller_of
from rungway.api.bodies import json_object
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.domain.timespec import parse_duration
from rungway.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.redteam import service
from rungway.redteam.api_schemas import (
    ALERT,
    DIFF,
    RUN,
    RUN_BODY,
    RUN_DETAIL,
    SCHEDULE,
    SCHEDULE_BODY,
    TRIAGE,
    TRIAGE_BODY,
)  # fmt: skip
from rungway.redteam.config import MAX_EVERY_S, MIN_EVERY_S, REDTEAM_SECTION
from rungway.redteam.corpus import load_corpus
from rungway.redteam.model import AttackResult
from rungway.redteam.notify import send_alerts
from rungway.redteam.schedule import SCHEDULER, schedules_of

__all__ = ["router"]

router = ApiRouter("redteam")
WORKLOAD = QueryParam("workload", "whose records: an admin names a workload (default: the key's own)", max_length=64)
_LIMIT = QueryParam("limit", "at most this many (default 50)", type="integer", minimum=1, maximum=500)


def _learn(request: web.Request) -> None:
    scheduler = request.app[STATE].slots.get(SCHEDULER)
    if scheduler is not None:
        scheduler.learn_url(str(request.url.origin()))


def view_of(request: web.Request) -> str | None:
    """The workload whose records this request reads (None: an admin key without `?workload=`: every one)."""
    _learn(request)
    caller = caller_of(request)
    asked = request.query.get("workload") or None
    if caller.role is Role.ADMIN:
        return asked if asked is not None else caller.workload
    if asked is not None and asked != caller.workload:
        raise NotFound(f"no red-team records for this key in workload {asked!r}", param="workload")
    return caller.workload


def _writes_to(request: web.Request, body: dict[str, Any]) -> tuple[str, str]:
    """(the workload a write goes to, who writes)."""
    _learn(request)
    caller = caller_of(request)
    named = body.get("workload")
    by = caller.key_id or "admin"
    if named is None:
        if caller.workload is None:
            raise InvalidRequest("the admin key belongs to no workload: give `workload`", param="workload")
        return caller.workload, by
    if caller.role is not Role.ADMIN and named != caller.workload:
        raise PermissionDenied(f"this key belongs to workload {caller.workload!r} and writes there only",
                               param="workload")  # fmt: skip
    if named != caller.workload and request.app[STATE].directory.workload(str(named)) is None:
        raise InvalidRequest(f"no workload {named!r}: create it first (rungway workloads create)", param="workload")
    return str(named), by


def _run_input(body: dict[str, Any]) -> service.RunInput:
    results = tuple(AttackResult.from_json(r) for r in body["results"])
    ids = [r.attack_id for r in results]
    if len(set(ids)) != len(ids):
        raise InvalidRequest("each attack appears once in a run's results", param="results")
    if body["finished_at"] < body["started_at"]:
        raise InvalidRequest("finished_at is before started_at", param="finished_at")
    return service.RunInput(
        str(body["corpus_version"]), tuple(body.get("categories") or ()), body.get("prompt"), body.get("model"),
        body.get("judge_model"), int(body.get("seed") or 0), str(body.get("trigger") or "api"),
        float(body["started_at"]), float(body["finished_at"]), results,
    )  # fmt: skip


@router.route("POST", "/api/redteam/runs", summary="Store a finished red-team run: rates, diff and alerts",
              role=Role.DEVELOPER, body=RUN_BODY, response=RUN_DETAIL, status=201)  # fmt: skip
async def post_run(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    workload, by = _writes_to(request, body)
    engine = request.app[STATE].engine
    record, diff = await asyncio.to_thread(service.record_run, engine, workload, by, _run_input(body))
    alerts = [a for a in await asyncio.to_thread(service.alerts, engine, workload, 20) if a["run_id"] == record.id]
    await send_alerts(request.app[STATE].slots, record, alerts)
    return json_response({"run": record.to_json(), "diff": diff.to_json(), "alerts": alerts}, status=201)


@router.route("GET", "/api/redteam/runs", summary="Red-team runs, newest first", params=[WORKLOAD, _LIMIT],
              response={"type": "object", "properties": {"data": {"type": "array", "items": RUN}}})  # fmt: skip
async def get_runs(request: web.Request) -> web.StreamResponse:
    runs = await asyncio.to_thread(service.list_runs, request.app[STATE].engine, view_of(request),
                                   int(request.query.get("limit") or 50))  # fmt: skip
    return json_response({"object": "list", "data": [r.to_json() for r in runs]})


@router.route("GET", "/api/redteam/runs/{id}", summary="One run: rates, every attack's result, findings' triage",
              params=[WORKLOAD, QueryParam("failures", "only the successful attacks", type="boolean")],
              response=RUN_DETAIL)  # fmt: skip
async def get_run(request: web.Request) -> web.StreamResponse:
    workload = view_of(request)
    record, results, triage = await asyncio.to_thread(service.get_run, request.app[STATE].engine, workload,
                                                      request.match_info["id"])  # fmt: skip
    if request.query.get("failures", "").lower() in ("1", "true", "yes"):
        results = [r for r in results if r.succeeded]
    return json_response({"run": record.to_json(), "results": [r.to_json() for r in results], "triage": triage})


@router.route("GET", "/api/redteam/runs/{id}/diff", summary="New failures, fixed and unchanged since the previous run",
              params=[WORKLOAD], response=DIFF)  # fmt: skip
async def get_diff(request: web.Request) -> web.StreamResponse:
    diff = await asyncio.to_thread(service.run_diff, request.app[STATE].engine, view_of(request),
                                   request.match_info["id"])  # fmt: skip
    return json_response(diff.to_json())


@router.route("POST", "/api/redteam/runs/{id}/findings/{attack}/triage", role=Role.DEVELOPER, body=TRIAGE_BODY,
              summary="Triage a finding (a successful attack): accepted, fixed or false-positive, with a note",
              response=TRIAGE)  # fmt: skip
async def post_triage(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    caller = caller_of(request)
    workload = None if caller.role is Role.ADMIN else caller.workload
    done = await asyncio.to_thread(
        service.triage, request.app[STATE].engine, workload, request.match_info["id"], request.match_info["attack"],
        str(body["status"]), str(body.get("note") or ""), caller.key_id or "admin",
    )  # fmt: skip
    return json_response(done)


@router.route("GET", "/api/redteam/alerts", summary="Alerts: the success rate rose or a new category fails",
              params=[WORKLOAD, _LIMIT],
              response={"type": "object", "properties": {"data": {"type": "array", "items": ALERT}}})  # fmt: skip
async def get_alerts(request: web.Request) -> web.StreamResponse:
    found = await asyncio.to_thread(service.alerts, request.app[STATE].engine, view_of(request),
                                    int(request.query.get("limit") or 50))  # fmt: skip
    return json_response({"object": "list", "data": found})


@router.route("GET", "/api/redteam/schedules", summary="Scheduled red-team runs (configured and made here)",
              params=[WORKLOAD],
              response={"type": "object", "properties": {"data": {"type": "array", "items": SCHEDULE}}})  # fmt: skip
async def get_schedules(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    workload = view_of(request)

    def read() -> list[dict[str, Any]]:
        found = schedules_of(state.engine)
        stored = {row["workload"]: row for row in service.schedules(state.engine, workload)}
        last = service.last_runs(state.engine, found)
        return [{"workload": w, "every_s": s.every_s, "categories": list(s.categories), "prompt": s.prompt,
                 "model": s.model, "source": source, "created_at": stored.get(w, {}).get("created_at"),
                 "created_by": stored.get(w, {}).get("created_by"), "last_run_at": last.get(w)}
                for w, (s, source) in sorted(found.items()) if workload is None or w == workload]  # fmt: skip

    return json_response({"object": "list", "data": await asyncio.to_thread(read)})


@router.route("POST", "/api/redteam/schedules", summary="Schedule the workload's red-team runs (replaces its schedule)",
              role=Role.DEVELOPER, body=SCHEDULE_BODY, response=SCHEDULE, status=201)  # fmt: skip
async def post_schedule(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    workload, by = _writes_to(request, body)
    every = parse_duration(str(body["every"]))
    if not MIN_EVERY_S <= every <= MAX_EVERY_S:
        raise InvalidRequest("every must be from 30m to 52w", param="every")
    categories = body.get("categories") or []
    load_corpus().select(categories)  # an unknown category: a 400 naming the known ones
    configured = request.app[STATE].config.section(REDTEAM_SECTION).schedules
    if workload in configured:
        raise Conflict(f"workload {workload!r} is scheduled in rungway.yaml (`redteam.workloads`): change it there",
                       param="workload")  # fmt: skip
    if not body.get("prompt") and not body.get("model"):
        raise InvalidRequest("a schedule needs a prompt (NAME@LABEL) or a model to attack", param="prompt")
    made = await asyncio.to_thread(service.put_schedule, request.app[STATE].engine, workload, every, categories,
                                   body.get("prompt"), body.get("model"), by)  # fmt: skip
    return json_response({**made, "source": "api", "last_run_at": None}, status=201)


@router.route("POST", "/api/redteam/schedules/delete", summary="Remove the workload's schedule made through the API",
              role=Role.DEVELOPER, body={"type": "object", "additionalProperties": False,
                                         "properties": {"workload": RUN_BODY["properties"]["workload"]}},
              response={"type": "object", "properties": {"deleted": {"type": "boolean"}}})  # fmt: skip
async def delete_schedule(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    workload, _ = _writes_to(request, body)
    if workload in request.app[STATE].config.section(REDTEAM_SECTION).schedules:
        raise Conflict(f"workload {workload!r} is scheduled in rungway.yaml: remove it there", param="workload")
    deleted = await asyncio.to_thread(service.delete_schedule, request.app[STATE].engine, workload)
    return json_response({"deleted": deleted})
