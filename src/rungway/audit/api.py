"""`GET /api/audit`: the audit records, newest first, filtered and paged.

An admin (the server's admin key or an admin-role key) reads every record; any other key reads only the
records of its own workload (asking for another workload is the same empty list as a workload with none:
records name people, so a key learns nothing of other workloads).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web

from rungway.api.auth import caller_of
from rungway.api.registry import ApiRouter, QueryParam
from rungway.audit.chain import CONTENT_FIELDS, content_digest, is_erased
from rungway.audit.model import VIA, AuditRecord
from rungway.audit.store import list_records
from rungway.domain.keys import Role
from rungway.domain.timespec import TimeSpecError, parse_instant
from rungway.errors import InvalidRequest
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE

__all__ = ["RECORD_SCHEMA", "attempt_only", "record_dict", "router"]

router = ApiRouter("audit")
_TEXT = {"type": ["string", "null"]}
RECORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "seq": {"type": "integer"}, "id": {"type": "string"}, "ts": {"type": "number"},
        "actor": {"type": "string"}, "key_id": _TEXT, "via": {"type": "string", "enum": list(VIA)},
        "action": {"type": "string"}, "object_type": _TEXT, "object_id": _TEXT, "workload": _TEXT,
        "request": {"description": "the request's body (JSON, secrets removed), or null"},
        "before": {"description": "the object before the change (JSON, secrets removed), or null"},
        "after": {"description": "the answer or the object after the change (JSON, secrets removed), or null"},
        "status": {"type": "integer"}, "prev_hash": {"type": "string"}, "hash": {"type": "string"},
        "format": {"type": ["integer", "null"], "description": "2: content hashed by digest (erasable); null: first"},
        "erased": {"type": "boolean", "description": "retention erased the content (each field: its sha256 only)"},
    },
}  # fmt: skip


def record_dict(record: AuditRecord) -> dict[str, Any]:
    """A record as JSON, `before` and `after` parsed (the stored text is what the chain hashes)."""
    data = record.as_dict()
    data["erased"] = is_erased(data)
    for name in CONTENT_FIELDS:
        text = data[name]
        digest = content_digest(text) if data["erased"] else None
        data[name] = None if text is None else {"erased_sha256": digest} if digest else json.loads(text)
    return data


def _time(request: web.Request, name: str) -> float | None:
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        return parse_instant(raw, time.time())
    except TimeSpecError as exc:
        raise InvalidRequest(str(exc), param=name) from None


@router.route(
    "GET",
    "/api/audit",
    summary="Audit records (who changed what, before and after), newest first; a key sees its own workload's",
    role=Role.VIEWER,
    params=[
        QueryParam("workload", "only this workload's records (a non-admin key: its own only)", max_length=64),
        QueryParam("actor", "only this actor's records", max_length=256),
        QueryParam("action", "only this action (`*` matches any text: `keys.*`, `POST /api/keys*`)"),
        QueryParam("since", "from this time: a duration ago (7d), an ISO date or epoch seconds", type="time"),
        QueryParam("until", "before this time", type="time"),
        QueryParam("before_seq", "page back: records before this seq", type="integer", minimum=1, maximum=2**62),
        QueryParam("limit", "at most this many (default 50)", type="integer", minimum=1, maximum=500),
    ],
    response={"type": "object", "properties": {"data": {"type": "array", "items": RECORD_SCHEMA}}},
)
async def get_audit(request: web.Request) -> web.StreamResponse:
    caller = caller_of(request)
    q = request.query
    workload = q.get("workload") or None
    if caller.role is not Role.ADMIN:
        if workload is not None and workload != caller.workload:
            return json_response({"object": "list", "data": []})
        workload = caller.workload
    before = q.get("before_seq")
    found = await asyncio.to_thread(
        list_records, request.app[STATE].engine, workload=workload, actor=q.get("actor") or None,
        action=q.get("action") or None, since_ts=_time(request, "since"), until_ts=_time(request, "until"),
        before_seq=int(before) if before else None, limit=int(q.get("limit") or 50),
    )  # fmt: skip
    data = [record_dict(r) for r in found]
    if caller.role is not Role.ADMIN:
        data = [attempt_only(d) for d in data]
    return json_response({"object": "list", "data": data})


def attempt_only(data: dict[str, Any]) -> dict[str, Any]:
    """A refused change as a workload's own key reads it: who tried which route, when, and the status. What it
    named, sent and was answered stays with the admins: it may name another workload's objects."""
    status = data.get("status")
    if not isinstance(status, int) or status < 400:
        return data
    return {**data, "object_id": None, "request": None, "before": None, "after": None}
