"""`/api/slos/*`: list SLOs with their SLI, error budget and burn rates; create, replace and delete one; its
history; alerts; import and export OpenSLO v1 documents.

Scoped like every management route: a key that is not admin reads and writes its own workload only (another
workload's SLO is the same 404 as a missing one); an admin reads any with `?workload=` (every workload's
without it) and names the workload an SLO is for in the body.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from rungway.api.auth import caller_of
from rungway.api.bodies import json_object
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, NotFound, PermissionDenied
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.slos import service, store
from rungway.slos.api_schemas import ALERT, HISTORY, IMPORT_BODY, SLO, SLO_BODY
from rungway.slos.config import SLOS_SECTION
from rungway.slos.model import Slo, SloInvalid, check_slo
from rungway.slos.monitor import MONITOR
from rungway.slos.openslo import from_openslo, to_openslo

__all__ = ["router", "view_of", "writes_to"]

router = ApiRouter("slos")
WORKLOAD = QueryParam("workload", "whose SLOs: an admin names a workload (default: every one)", max_length=64)
_LIMIT = QueryParam("limit", "at most this many (default 200)", type="integer", minimum=1, maximum=2000)
_DAYS = QueryParam("days", "how far back (default 30)", type="integer", minimum=1, maximum=400)
_LIST = {"type": "object", "properties": {"data": {"type": "array", "items": SLO}}}


def view_of(request: web.Request) -> str | None:
    """The workload whose SLOs this request reads (None: an admin key without `?workload=`: every one)."""
    caller = caller_of(request)
    asked = request.query.get("workload") or None
    if caller.role is Role.ADMIN:
        return asked
    if asked is not None and asked != caller.workload:
        raise NotFound(f"no SLOs for this key in workload {asked!r}", param="workload")
    return caller.workload


def writes_to(request: web.Request, named: Any) -> tuple[str, str]:
    """(the workload a write goes to, who writes)."""
    caller = caller_of(request)
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


def _min_calls(request: web.Request) -> int:
    return request.app[STATE].config.section(SLOS_SECTION).min_calls


@router.route("GET", "/api/slos", summary="SLOs with their SLI, error budget remaining and burn rates",
              params=[WORKLOAD], response=_LIST)  # fmt: skip
async def get_slos(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    monitor = state.slots.get(MONITOR)
    recent = dict(monitor.by_series) if monitor is not None else {}
    fresh_s = 2 * state.config.section(SLOS_SECTION).tick_s
    found = await asyncio.to_thread(service.list_slos, state.engine, view_of(request), _min_calls(request), None,
                                    recent, fresh_s)  # fmt: skip
    return json_response({"object": "list", "data": [m.to_json() for m in found]})


@router.route("POST", "/api/slos", summary="Create or replace an SLO of the workload", role=Role.DEVELOPER,
              body=SLO_BODY, response=SLO, status=201)  # fmt: skip
async def post_slo(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    workload, by = writes_to(request, body.get("workload"))
    fields = {k: v for k, v in body.items() if k not in ("workload", "name") and v is not None}
    try:
        slo = check_slo(workload, str(body["name"]), fields)
    except SloInvalid as exc:
        raise service.invalid(exc) from None
    state = request.app[STATE]
    made = await asyncio.to_thread(service.put_slo, state.engine, state.config.section(SLOS_SECTION), slo, by)
    return json_response(made.to_json(), status=201)


@router.route("GET", "/api/slos/alerts", summary="Burn-rate alerts (firing and resolved), newest first",
              params=[WORKLOAD, _LIMIT],
              response={"type": "object", "properties": {"data": {"type": "array", "items": ALERT}}})  # fmt: skip
async def get_alerts(request: web.Request) -> web.StreamResponse:
    found = await asyncio.to_thread(store.read_alerts, request.app[STATE].engine, view_of(request), None,
                                    int(request.query.get("limit") or 200))  # fmt: skip
    return json_response({"object": "list", "data": [a.to_json() for a in found]})


@router.route("GET", "/api/slos/openslo", summary="The SLOs as OpenSLO v1 documents", params=[WORKLOAD],
              response={"type": "object", "properties": {"documents": {"type": "array",
                                                                       "items": {"type": "object"}}}})  # fmt: skip
async def export_openslo(request: web.Request) -> web.StreamResponse:
    found = await asyncio.to_thread(store.read_definitions, request.app[STATE].engine, view_of(request))
    return json_response({"documents": [to_openslo(d.slo) for d in found]})


@router.route("POST", "/api/slos/openslo", summary="Import OpenSLO v1 SLO documents (each created or replaced)",
              role=Role.DEVELOPER, body=IMPORT_BODY, response=_LIST, status=201)  # fmt: skip
async def import_openslo(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    caller = caller_of(request)
    forced = body.get("workload")
    slos: list[tuple[Slo, str]] = []
    for i, doc in enumerate(body["documents"]):
        named = forced if forced is not None or caller.role is not Role.ADMIN else _service_of(doc)
        workload, by = writes_to(request, named)
        try:
            slos.append((from_openslo(doc, workload), by))
        except SloInvalid as exc:
            raise service.invalid(exc, f"documents[{i}].") from None
    state = request.app[STATE]
    config = state.config.section(SLOS_SECTION)

    def put_all() -> list[dict[str, Any]]:
        return [service.put_slo(state.engine, config, s, by).to_json() for s, by in slos]

    return json_response({"object": "list", "data": await asyncio.to_thread(put_all)}, status=201)


def _service_of(doc: Any) -> Any:
    spec = doc.get("spec") if isinstance(doc, dict) else None
    return spec.get("service") if isinstance(spec, dict) else None


@router.route("GET", "/api/slos/{name}", summary="One SLO with its SLI, error budget remaining and burn rates",
              params=[WORKLOAD], response=SLO)  # fmt: skip
async def get_slo(request: web.Request) -> web.StreamResponse:
    found = await asyncio.to_thread(service.get_slo, request.app[STATE].engine, view_of(request),
                                    request.match_info["name"], _min_calls(request))  # fmt: skip
    return json_response(found.to_json())


@router.route("GET", "/api/slos/{name}/history", summary="An SLO's stored snapshots (SLI, budget, burn rates)",
              params=[WORKLOAD, _DAYS, _LIMIT], response=HISTORY)  # fmt: skip
async def get_history(request: web.Request) -> web.StreamResponse:
    definition, snapshots = await asyncio.to_thread(
        service.history, request.app[STATE].engine, view_of(request), request.match_info["name"],
        float(request.query.get("days") or 30), int(request.query.get("limit") or 200),
    )  # fmt: skip
    return json_response({"slo": definition.to_json(), "data": [s.to_json() for s in snapshots]})


_DELETED = {"type": "object", "properties": {"deleted": {"type": "boolean"}}}


@router.route("DELETE", "/api/slos/{name}", summary="Delete an SLO made through the API", role=Role.DEVELOPER,
              params=[WORKLOAD], response=_DELETED)  # fmt: skip
async def delete_slo(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    deleted = await asyncio.to_thread(service.delete_slo, state.engine, state.config.section(SLOS_SECTION),
                                      view_of(request), request.match_info["name"])  # fmt: skip
    return json_response({"deleted": deleted})
