"""Capture: every change a person or key makes through /api and the dashboard's forms, as audit records.

The middleware wraps each POST, PUT, PATCH and DELETE under /api/ and /ui/: after the handler answers it
records who (the API's caller or the dashboard session; the key's owner when it names one), the route template
(`PUT /api/workloads/{name}`), the object id from the path (or the id the answer gives a new object), the
request's body and the JSON answer (secrets redacted, each bounded), the status, and `before`: the answer of
the same path's GET route, run in process with the caller's own credentials before the change (for /api
routes that have one). Sign-ins and sign-outs are records too.

Refused requests are recorded with their status (who tried what), except that 401s without a caller (bad or
missing keys, failed sign-ins) are counted per source and minute: the first of a minute is recorded, the rest
are summed into one `auth.refused` record when the minute ends, so an auth flood cannot grow the table.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from rungway.api.auth import CALLER, Caller, caller_for_secret
from rungway.audit.config import AuditSettings
from rungway.audit.model import RecordDraft, bounded_json
from rungway.audit.store import append_records
from rungway.domain.keys import ApiKey, hash_key
from rungway.gateway.auth import bearer_secret
from rungway.gateway.dispatch import management_only
from rungway.gateway.routes import STATE
from rungway.web.render import UI
from rungway.web.session import SESSION_COOKIE, Session

__all__ = ["WRITES", "Capture", "FloodGate", "capture_middleware"]

log = logging.getLogger("rungway.audit")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PREFIXES = ("/api/", "/ui/")
MAX_SOURCES = 10_000  # sources of refused requests tracked at once; past it they share one counter
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FloodGate:
    """Refused (401) requests per source and minute: the first is let through to be recorded, the rest counted
    and handed out as one summary per source when its minute has passed."""

    counts: dict[tuple[str, int], int] = field(default_factory=dict)

    def first(self, source: str, now: float) -> bool:
        """Count this refusal; True when it is the first of its source's minute (record it)."""
        minute = int(now // 60)
        if (source, minute) not in self.counts and len(self.counts) >= MAX_SOURCES:
            source = "*"
        key = (source, minute)
        self.counts[key] = self.counts.get(key, 0) + 1
        return self.counts[key] == 1

    def closed(self, now: float) -> list[tuple[str, int, int]]:
        """(source, minute, refusals not yet recorded) of every minute that has ended; forgets them."""
        current = int(now // 60)
        done = [(s, m, n - 1) for (s, m), n in self.counts.items() if m < current]
        for s, m, _ in done:
            del self.counts[(s, m)]
        return [d for d in done if d[2] > 0]


@dataclass
class Capture:
    """The engine records go to, the limits they are kept within, and the refusal counter."""

    engine: Engine
    settings: AuditSettings
    gate: FloodGate = field(default_factory=FloodGate)

    def flush_refusals(self, now: float) -> int:
        """Record the summed refusals of every ended minute (the checkpointer calls this); returns records made."""
        drafts = [
            RecordDraft(
                actor=f"unauthenticated@{source}"[:256],
                via="api",
                action="auth.refused",
                status=401,
                after=json.dumps({"refused": count, "minute_start": minute * 60}),
            )
            for source, minute, count in self.gate.closed(now)
        ]
        append_records(self.engine, drafts, now)
        return len(drafts)


def _template(request: web.Request) -> str:
    route = request.match_info.route
    resource = route.resource
    return resource.canonical if resource is not None else request.path


def _object_type(template: str) -> str | None:
    parts = [p for p in template.split("/") if p and not p.startswith("{")]
    return parts[1] if len(parts) > 1 else None


def _json_of(response: web.StreamResponse | None, limit: int) -> Any:
    if not isinstance(response, web.Response) or response.content_type != "application/json":
        return None
    body = response.body
    if not isinstance(body, bytes) or len(body) > limit:
        return None if not isinstance(body, bytes) else {"truncated_bytes": len(body)}
    try:
        return json.loads(body)
    except ValueError:
        return None


async def _request_body(request: web.Request, limit: int) -> Any:
    """The body the handler read (aiohttp keeps it), as JSON or form fields; None when there is none."""
    if not request.body_exists or (request.content_length or 0) > limit:
        return None if not request.body_exists else {"truncated_bytes": request.content_length}
    try:
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            return {k: v for k, v in form.items() if isinstance(v, str)}
        raw = await request.read()
    except Exception:  # noqa: BLE001 - a body the handler could not read either (bad encoding): its answer stands
        return {"unreadable": True}
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return {"unparsed_bytes": len(raw)}


def _key_of(request: web.Request, session: Session | None) -> ApiKey | None:
    directory = request.app[STATE].directory
    if session is not None:
        return None if session.key_hash is None else directory.cached_key(session.key_hash)
    secret = bearer_secret(request.headers)
    return directory.cached_key(hash_key(secret)) if secret else None


def _actor(caller: Caller, key: ApiKey | None) -> str:
    if caller.key_id is None:
        return "admin"
    if key is not None and key.owner:
        return key.owner
    return f"key:{key.name or key.id}" if key is not None else f"key:{caller.key_id}"


def _session_of(request: web.Request, response: web.StreamResponse | None) -> Session | None:
    """The dashboard session of this request: the one it came with, or the one a sign-in just opened."""
    sessions = request.app[UI].sessions
    if response is not None and SESSION_COOKIE in response.cookies:
        opened = sessions.get(response.cookies[SESSION_COOKIE].value)
        if opened is not None:
            return opened
    return sessions.get(request.cookies.get(SESSION_COOKIE))


def _read_path(request: web.Request) -> str | None:
    """The path whose GET answer is the changed object: the path itself when it ends in a parameter
    (`/api/keys/{key_id}`), or its parent for an action on one (`/api/keys/{key_id}/revoke`)."""
    parts = _template(request).rstrip("/").split("/")
    raw = request.rel_url.raw_path.rstrip("/")  # still percent-encoded: it names the same object when resent
    if parts[-1].startswith("{"):
        return raw
    if len(parts) > 3 and parts[-2].startswith("{"):
        return raw.rsplit("/", 1)[0]
    return None


async def _before(request: web.Request, limit: int) -> Any:
    """The object's GET answer (its JSON) before the change, with the caller's own credentials (so it shows
    nothing the caller may not read); None without such a route."""
    path = _read_path(request) if request.path.startswith("/api/") else None
    if path is None:
        return None
    probe = request.clone(method="GET", rel_url=path)
    match = await request.app.router.resolve(probe)
    if match.http_exception is not None or match.route.method != "GET":
        return None
    probe._match_info = match
    match.add_app(request.app)
    return _json_of(await match.handler(probe), limit)


def capture_middleware(capture: Capture) -> Any:
    """The aiohttp middleware recording every change under /api/ and /ui/."""
    limit = capture.settings.max_json_bytes

    @management_only  # it records /api and /ui changes only: gateway calls need not pass through it
    @web.middleware
    async def audit(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method not in WRITES or not request.path.startswith(PREFIXES):
            return await handler(request)
        try:
            before = await _before(request, limit)
        except Exception:  # a failed read of the old state must not refuse the change: recorded without it
            log.exception("audit: could not read the state before %s %s", request.method, request.path)
            before = None
        ui_before = _session_of(request, None) if request.path.startswith("/ui/") else None
        response = await handler(request)
        try:
            draft = await _draft(request, response, before, ui_before, limit, capture.gate)
            if draft is not None:
                await asyncio.to_thread(append_records, capture.engine, [draft], time.time())
        except SQLAlchemyError:  # the change is made; a store that cannot take its record is logged loudly
            log.exception("audit: could not record %s %s", request.method, request.path)
        return response

    return audit


async def _draft(
    request: web.Request,
    response: web.StreamResponse,
    before: Any,
    ui_before: Session | None,
    limit: int,
    gate: FloodGate,
) -> RecordDraft | None:
    ui = request.path.startswith("/ui/")
    session = _session_of(request, response) if ui else None
    session = session or ui_before
    caller = request.get(CALLER) or (session.caller if session is not None else None)
    if caller is None and not ui and response.status != 401:  # refused before the guard kept the caller (403)
        secret = bearer_secret(request.headers)
        caller = await caller_for_secret(request.app[STATE], secret) if secret else None
    template = _template(request)
    signin = ui and template.endswith("/signin")
    signout = ui and template.endswith("/signout")
    if caller is None and not (response.status == 401 or signin):
        return None  # an unauthenticated form post that never reached a handler's checks (no one to name)
    status = response.status
    if caller is None or (signin and status >= 400):
        source = request.remote or "unknown"
        if not gate.first(source, time.time()):
            return None
        actor, key, key_id = f"unauthenticated@{source}", None, None
    else:
        key = _key_of(request, session)
        actor, key_id = _actor(caller, key), caller.key_id
    action = "ui.signin" if signin else "ui.signout" if signout else f"{request.method} {template}"
    params = dict(request.match_info)
    answer = _json_of(response, limit)
    object_id = list(params.values())[-1] if params else None
    if object_id is None:
        object_id = _id_in(answer)
    body = await _request_body(request, limit)
    return RecordDraft(
        actor=actor[:256], via="ui" if ui else "api", action=action[:256], status=status, key_id=key_id,
        object_type=_object_type(template), object_id=None if object_id is None else str(object_id)[:256],
        workload=_workload(params, template, body, answer, caller), request=bounded_json(body, limit),
        before=bounded_json(before, limit), after=bounded_json(answer, limit),
    )  # fmt: skip


def _id_in(answer: Any) -> str | None:
    """The id an answer gives the object it made: its own `id`, or that of the one object it holds."""
    if not isinstance(answer, dict):
        return None
    if isinstance(answer.get("id"), str):
        return str(answer["id"])
    held = [v["id"] for v in answer.values() if isinstance(v, dict) and isinstance(v.get("id"), str)]
    return str(held[0]) if len(held) == 1 else None


def _workload(params: dict[str, str], template: str, body: Any, answer: Any, caller: Caller | None) -> str | None:
    """The workload a change concerns: named in the path, the body or the answer, else the caller's own."""
    if "workload" in params:
        return params["workload"][:64]
    if template.startswith(("/api/workloads/{name}", "/ui/workloads/{name}")):
        return params.get("name", "")[:64] or None
    for source in (body, answer):
        if isinstance(source, dict) and isinstance(source.get("workload"), str):
            return str(source["workload"])[:64]
    return None if caller is None else caller.workload
