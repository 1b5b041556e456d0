"""`/api/assessment*`: run and read maturity assessments, attest items, claim stages, set thresholds."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from rungway.api.auth import Caller, caller_of
from rungway.api.bodies import json_object, nullable, optional_str, text
from rungway.api.registry import DURATION_PATTERN, ApiRouter, QueryParam
from rungway.assessment.config import AssessmentSettings, assessment_settings
from rungway.assessment.model_file import load_model
from rungway.assessment.render import to_html, to_markdown
from rungway.assessment.service import (
    attest,
    attestations,
    claim_stage,
    history,
    run_assessment,
    set_org_threshold,
)
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, NotFound, PermissionDenied
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.gateway.state import GatewayState

__all__ = ["router"]

router = ApiRouter("assessment")

_WORKLOAD = QueryParam("workload", "Only this workload (non-admin keys see only their own)", max_length=64)
_RUN: dict[str, Any] = {
    "type": "object",
    "properties": {
        "run_id": {"type": "string"},
        "assessed_at": {"type": "number"},
        "model_version": {"type": "string"},
        "workloads": {"type": "array", "items": {"type": "object"}},
    },
}
_ATTEST_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["item", "workload", "by", "link"],
    "additionalProperties": False,
    "properties": {
        "item": {
            **text(64),
            "description": "an attested item of the maturity model: "
            + ", ".join(i.id for i in load_model().items if i.attested),
        },
        "workload": text(64),
        "by": {**text(256), "pattern": r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"},
        "link": {**text(2048), "pattern": r"^https?://[^\x00-\x1f\x7f-\x9f]*$"},
        "expires": {"type": "string", "pattern": DURATION_PATTERN, "default": "90d", "description": "such as 90d"},
        "note": text(4096, multiline=True),
    },
}


def _scope(caller: Caller, workload: str | None) -> str | None:
    """Non-admin callers act on their own workload only."""
    if caller.role is Role.ADMIN:
        return workload
    if workload is not None and workload != caller.workload:
        raise PermissionDenied("This key may only see its own workload's assessment.", code="workload_forbidden")
    return caller.workload


def _render(run: dict[str, Any], fmt: str) -> web.StreamResponse:
    if fmt == "markdown":
        return web.Response(text=to_markdown(load_model(), run), content_type="text/markdown")
    if fmt == "html":
        return web.Response(text=to_html(load_model(), run), content_type="text/html")
    if fmt != "json":
        raise InvalidRequest("format must be json, markdown or html", param="format")
    return json_response(run)


@router.route(
    "POST",
    "/api/assessments",
    summary="Assess workloads now from the evidence in the store and keep the result",
    role=Role.DEVELOPER,
    params=[_WORKLOAD, QueryParam("format", "json (default), markdown or html", enum=("json", "markdown", "html"))],
    response=_RUN,
    content_types=("application/json", "text/markdown", "text/html"),
)
async def run_now(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    workload = _scope(caller_of(request), request.query.get("workload"))
    run = await asyncio.to_thread(
        run_assessment, state.engine, state.config, workload=workload, trigger="api", settings=_settings(state)
    )
    return _render(run.to_dict(), request.query.get("format", "json"))


@router.route(
    "GET",
    "/api/assessments",
    summary="Assessment history: stage per workload over time, with drift flagged",
    params=[
        _WORKLOAD,
        QueryParam("limit", "At most this many rows (default 500)", "integer", minimum=1, maximum=10_000),
    ],
)
async def list_history(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    workload = _scope(caller_of(request), request.query.get("workload"))
    try:
        limit = int(request.query.get("limit", "500"))
    except ValueError:
        raise InvalidRequest("limit must be a whole number", param="limit") from None
    rows = await asyncio.to_thread(history, state.engine, workload, None, limit)
    data = [
        {
            "id": r.id,
            "run_id": r.run_id,
            "workload": r.workload,
            "assessed_at": r.assessed_at,
            "trigger": r.trigger,
            "stage": r.stage,
            "target_stage": r.target_stage,
            "claimed_stage": r.claimed_stage,
            "drift": r.report.get("drift"),
        }
        for r in rows
    ]
    return json_response({"object": "list", "data": data})


@router.route("GET", "/api/assessment/model", summary="The maturity model: stages, items, checks, guidance")
async def model(_request: web.Request) -> web.StreamResponse:
    m = load_model()
    items = [
        {
            "id": i.id,
            "stage": i.stage,
            "title": i.title,
            "description": i.description,
            "check": {"id": i.check.id, "threshold": i.check.threshold, "window_days": i.check.window_days}
            if i.check
            else None,
            "attested": i.attested,
            "guidance": i.guidance,
            "builds_with": i.builds_with,
        }
        for i in m.items
    ]
    stages = [{"number": s.number, "name": s.name, "summary": s.summary} for s in m.stages]
    body = {"version": m.version, "stages": stages, "items": items, "investment_order": list(m.investment_order)}
    return json_response(body)


@router.route(
    "POST",
    "/api/assessment/attestations",
    summary="Attest an item Rungway cannot evidence (who, link, expiry)",
    role=Role.DEVELOPER,
    body=_ATTEST_BODY,
    status=201,
)
async def add_attestation(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    workload = _scope(caller_of(request), optional_str(body, "workload"))
    a = await asyncio.to_thread(
        attest,
        request.app[STATE].engine,
        item=optional_str(body, "item") or "",
        workload=workload or "",
        by=optional_str(body, "by") or "",
        link=optional_str(body, "link") or "",
        expires=optional_str(body, "expires") or "90d",
        note=optional_str(body, "note") or "",
    )
    return json_response(_attestation_dict(a), status=201)


def _attestation_dict(a: Any) -> dict[str, Any]:
    return {
        "id": a.id,
        "workload": a.workload,
        "item": a.item_id,
        "by": a.attested_by,
        "link": a.link,
        "created_at": a.created_at,
        "expires_at": a.expires_at,
        "note": a.note,
    }


@router.route("GET", "/api/assessment/attestations", summary="List attestations", params=[_WORKLOAD])
async def list_attestations(request: web.Request) -> web.StreamResponse:
    workload = _scope(caller_of(request), request.query.get("workload"))
    rows = await asyncio.to_thread(attestations, request.app[STATE].engine, workload)
    return json_response({"object": "list", "data": [_attestation_dict(a) for a in rows]})


@router.route(
    "PUT",
    "/api/assessment/claims/{workload}",
    summary="Record the stage a team claims for its workload",
    role=Role.DEVELOPER,
    body={
        "type": "object",
        "required": ["stage"],
        "additionalProperties": False,
        "properties": {
            "stage": {"type": "integer", "minimum": 1, "maximum": load_model().top_stage},
            "by": nullable(text(256)),
        },
    },
)
async def put_claim(request: web.Request) -> web.StreamResponse:
    workload = _scope(caller_of(request), request.match_info["workload"]) or ""
    body = await json_object(request)
    stage = body.get("stage")
    if isinstance(stage, bool) or not isinstance(stage, int):
        raise InvalidRequest("stage must be a whole number from 1 to 5", param="stage")
    by = optional_str(body, "by")
    await asyncio.to_thread(claim_stage, request.app[STATE].engine, workload=workload, stage=stage, by=by)
    return json_response({"workload": workload, "claimed_stage": stage})


@router.route(
    "PUT",
    "/api/assessment/thresholds/{check}",
    summary="Set the organisation's threshold (fraction) and/or window for a check",
    role=Role.ADMIN,
    body={
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "threshold": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 1},
            "window_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 3650},
        },
    },
)
async def put_threshold(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    threshold, window = body.get("threshold"), body.get("window_days")
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, int | float)):
        raise InvalidRequest("threshold must be a number such as 0.95", param="threshold")
    if window is not None and (isinstance(window, bool) or not isinstance(window, int)):
        raise InvalidRequest("window_days must be a whole number", param="window_days")
    check_id = request.match_info["check"]
    if check_id not in _threshold_checks():
        raise NotFound(f"no threshold check {check_id!r}; use one of {', '.join(_threshold_checks())}", param="check")
    t = await asyncio.to_thread(
        set_org_threshold,
        request.app[STATE].engine,
        check_id=request.match_info["check"],
        threshold=float(threshold) if threshold is not None else None,
        window_days=window,
        by=caller_of(request).key_id or "admin",
    )
    return json_response({"check": t.check_id, "threshold": t.threshold, "window_days": t.window_days})


def _threshold_checks() -> list[str]:
    return sorted({i.check.id for i in load_model().items if i.check is not None and i.check.threshold is not None})


def _settings(state: GatewayState) -> AssessmentSettings:
    return assessment_settings(state.config)
