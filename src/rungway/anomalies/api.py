"""`/api/anomalies`: the workload's anomalies (open and resolved), one with its metric's hours around it, and
the watch state (is the workload watched, when was it last judged, which metrics).

Scoped like every management route: a key that is not admin reads its own workload only (another workload's
anomaly is the same 404 as a missing one); an admin reads every workload's, or one with `?workload=`.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from rungway.anomalies import service, store
from rungway.anomalies.config import ANOMALIES_SECTION
from rungway.anomalies.public import watch_states
from rungway.api.auth import caller_of
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.domain.timespec import TimeSpecError, parse_instant
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE

__all__ = ["ANOMALY", "router", "view_of"]

router = ApiRouter("anomalies")
WORKLOAD = QueryParam("workload", "whose anomalies: an admin names a workload (default: every one)", max_length=64)
STATUS = QueryParam("status", "open or resolved (default: both)", enum=("open", "resolved"))
LIMIT = QueryParam("limit", "at most this many (default 50)", type="integer", minimum=1, maximum=500)
_NUM = {"type": ["number", "null"]}
_STR = {"type": ["string", "null"]}
ANOMALY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"}, "workload": {"type": "string"}, "metric": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "resolved"]}, "opened_at": {"type": "number"},
        "last_hour": {"type": "number"}, "resolved_at": _NUM, "value": {"type": "number"},
        "expected": {"type": "number"}, "z": {"type": "number"}, "peak_z": {"type": "number"},
        "reason": {"type": "string"}, "dimension": _STR, "dimension_value": _STR,
        "explanation": {"type": "object"}, "traces": {"type": "array", "items": {"type": "string"}},
        "created_at": {"type": "number"},
    },
}  # fmt: skip
_POINT = {"type": "object", "properties": {"hour": {"type": "number"}, "value": {"type": "number"},
                                           "expected": _NUM, "volume": {"type": "integer"}, "z": _NUM}}  # fmt: skip
_WATCH = {
    "type": "object",
    "properties": {"workload": {"type": "string"}, "enabled": {"type": "boolean"}, "evaluated": {"type": "boolean"},
                   "last_evaluated_at": _NUM, "metrics": {"type": "array", "items": {"type": "string"}},
                   "open_anomalies": {"type": "integer"}, "anomalies_in_window": {"type": "integer"}},
}  # fmt: skip


def view_of(request: web.Request) -> str | None:
    """The workload whose anomalies this request reads (None: an admin without `?workload=`: every one)."""
    caller = caller_of(request)
    asked = request.query.get("workload") or None
    if caller.role is Role.ADMIN:
        return asked
    if asked is not None and asked != caller.workload:
        raise NotFound(f"no anomalies for this key in workload {asked!r}", param="workload")
    return caller.workload


@router.route("GET", "/api/anomalies", summary="Anomalies, newest first (open and resolved episodes)",
              params=[WORKLOAD, STATUS, LIMIT],
              response={"type": "object", "properties": {"data": {"type": "array", "items": ANOMALY}}})  # fmt: skip
async def get_anomalies(request: web.Request) -> web.StreamResponse:
    status, limit = request.query.get("status") or None, int(request.query.get("limit") or 50)
    found = await asyncio.to_thread(store.list_anomalies, request.app[STATE].engine, view_of(request), status, limit)
    return json_response({"object": "list", "data": [a.to_json() for a in found]})


@router.route("GET", "/api/anomalies/watch", summary="Per workload: watched or not, last judged, metrics, open",
              params=[WORKLOAD, QueryParam("since", "the window (default 7d)", type="time")],
              response={"type": "object", "properties": {"data": {"type": "array", "items": _WATCH}}})  # fmt: skip
async def get_watch(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    view = view_of(request)
    try:
        since = datetime.fromtimestamp(parse_instant(request.query.get("since") or "7d", time.time()), UTC)
    except TimeSpecError as exc:
        raise InvalidRequest(str(exc), param="since") from None

    def read() -> list[dict[str, Any]]:
        names = [view] if view is not None else sorted(store.read_watch(state.engine))
        states = watch_states(state.engine, names, since)
        return [{"workload": s.workload, "enabled": s.enabled, "evaluated": s.evaluated,
                 "last_evaluated_at": s.last_evaluated_at, "metrics": list(s.metrics),
                 "open_anomalies": s.open_anomalies, "anomalies_in_window": s.anomalies_in_window}
                for s in states.values()]  # fmt: skip

    return json_response({"object": "list", "data": await asyncio.to_thread(read)})


@router.route("GET", "/api/anomalies/{id}", summary="One anomaly with its metric's hours and baseline around it",
              params=[WORKLOAD],
              response={"type": "object", "properties": {"anomaly": ANOMALY,
                                                         "series": {"type": "array", "items": _POINT}}})  # fmt: skip
async def get_anomaly(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    view, anomaly_id = view_of(request), request.match_info["id"]
    config = state.config.section(ANOMALIES_SECTION)

    def read() -> dict[str, Any]:
        found = store.get_anomaly(state.engine, view, anomaly_id) if len(anomaly_id) <= 40 else None
        if found is None:
            raise NotFound(f"no anomaly {anomaly_id!r}", param="id")
        series = service.anomaly_series(state.engine, found, config.settings_for(found.workload))
        return {"anomaly": found.to_json(), "series": [p.to_json() for p in series]}

    return json_response(await asyncio.to_thread(read))
