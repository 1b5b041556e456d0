"""`/api/assessment*`: run and read maturity assessments, attest items, claim stages, set thresholds."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from rungway.api.auth import Caller, caller_of
from rungway.api.bodies import INSTANT, json_object, nullable, optional_str, text
from rungway.api.registry import ApiRouter, QueryParam
from rungway.assessment.config import AssessmentSettings, assessment_settings
from rungway.assessment.imported import COMMIT, MAX_IMPORT_BYTES
from rungway.assessment.model import IMPORT_FORMATS
from rungway.assessment.model_file import load_model
from rungway.assessment.render import to_html, to_markdown
from rungway.assessment.service import (
    attest,
    attestable_items,
    attestations,
    claim_stage,
    history,
    import_run,
    run_assessment,
    set_org_threshold,
)
from rungway.domain.keys import KeyKind, Role
from rungway.errors import InvalidRequest, NotFound, PermissionDenied
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.gateway.state import GatewayState

__all__ = ["router"]

PERIOD_PATTERN = r"^\s*[0-9]{1,6}(\.[0-9]{1,3})?\s*(s|sec|secs|min|mins|m|h|d|w|mo|y|S|M|H|D|W|MO|Y)\s*$"
"""Roughly what `parse_period` reads; a bare `m` passes here so that the service can say why it is ambiguous."""

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
            "description": "an attestable item of the maturity model: " + ", ".join(attestable_items()),
        },
        "workload": text(64),
        "by": {**text(256), "pattern": r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"},
        "link": {**text(2048), "pattern": r"^https?://[^\x00-\x1f\x7f-\x9f]*$"},
        "expires": {
            "type": "string",
            "pattern": PERIOD_PATTERN,
            "description": "how long it holds: 90d, 12w, 3mo, 1y (default and most: assessment.max_attestation)",
        },
        "not_applicable": {"type": "boolean", "default": False, "description": "a conditional item does not apply"},
        "note": text(4096, multiline=True),
    },
}
PERSON_ONLY = (
    "Only a person's key may attest: create one with `rungway keys create --person --workload W --role developer` "
    "(an application's key, or the server's admin key, is no one in particular)."
)
_IMPORT_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["workload", "item", "format", "content", "file_name"],
    "additionalProperties": False,
    "properties": {
        "workload": text(64),
        "item": {
            "type": "string",
            "enum": [i.id for i in load_model().items if i.imports is not None],
            "description": "an item that takes imported runs, such as pre_deployment_tests",
        },
        "format": {"type": "string", "enum": list(IMPORT_FORMATS)},
        "content": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_IMPORT_BYTES,
            "description": "the file itself: promptfoo's `-o out.json` output, or JUnit XML",
        },
        "file_name": text(256, min_length=1),
        "commit": nullable({"type": "string", "pattern": COMMIT.pattern, "description": "the git SHA tested"}),
        "at": {**INSTANT, "description": "when it ran, ISO 8601 or epoch seconds (default: the file's own time)"},
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
    attestable = set(attestable_items())
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
            "attestable": i.id in attestable,
            "imports": {"formats": list(i.imports.formats), "threshold": i.imports.threshold}
            | {"window_days": i.imports.window_days}
            if i.imports
            else None,
            "condition": {"text": i.condition.text, "risk_tiers": i.condition.risk_tiers} if i.condition else None,
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
    caller = caller_of(request)
    if caller.kind is not KeyKind.PERSON or caller.key_id is None:
        raise PermissionDenied(PERSON_ONLY, code="person_key_required")
    workload = _scope(caller, optional_str(body, "workload"))
    state = request.app[STATE]
    a = await asyncio.to_thread(
        attest,
        state.engine,
        item=optional_str(body, "item") or "",
        workload=workload or "",
        by=optional_str(body, "by") or "",
        link=optional_str(body, "link") or "",
        expires=optional_str(body, "expires"),
        note=optional_str(body, "note") or "",
        acting_key=caller.key_id,
        not_applicable=body.get("not_applicable") is True,
        max_s=_settings(state).max_attestation_s,
    )
    return json_response(_attestation_dict(a), status=201)


@router.route(
    "POST",
    "/api/assessment/imports",
    summary="Import a test or red-team run (promptfoo JSON, JUnit XML) as evidence for an item",
    role=Role.DEVELOPER,
    body=_IMPORT_BODY,
    status=201,
)
async def add_import(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    caller = caller_of(request)
    workload = _scope(caller, optional_str(body, "workload")) or ""
    at = body.get("at")
    run = await asyncio.to_thread(
        import_run,
        request.app[STATE].engine,
        workload=workload,
        item=optional_str(body, "item") or "",
        fmt=optional_str(body, "format") or "",
        data=(optional_str(body, "content") or "").encode(),
        file_name=optional_str(body, "file_name") or "",
        commit=optional_str(body, "commit"),
        at=at if isinstance(at, str | int | float) and not isinstance(at, bool) else None,
        by=caller.key_id or "admin",
    )
    return json_response({"id": run.id, "workload": run.workload, "item": run.item_id} | run.summary(), status=201)


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
        "acting_key": a.acting_key,
        "not_applicable": a.not_applicable,
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
