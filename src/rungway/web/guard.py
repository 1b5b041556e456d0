"""The guard every dashboard page runs behind: session, role, path and query checks, CSRF, errors.

It reuses the management API's own rules: the session acts as the API's `Caller` (role and workload
of the key it signed in with, or admin), `require` checks the role exactly as /api does, query
parameters are checked by the same `QueryParam` declarations, and pages scope their reads with
`scoped_workload`, the rule /api/logs applies. A browser that is not signed in is sent to the sign-in
page (GET) or refused (POST). Every POST must carry the session's CSRF token (form field
`csrf_token` or header `X-CSRF-Token`); a caller's mistake is a 4xx HTML page, never a 500.
"""

from __future__ import annotations

import hmac
import logging
import time
from urllib.parse import urlencode

from aiohttp import web

from rungway.api.auth import CALLER, Caller, caller_for_key, require
from rungway.api.registry import check_query
from rungway.domain.bounds import has_control_characters
from rungway.domain.keys import Role
from rungway.errors import AuthenticationFailed, InvalidRequest, PayloadTooLarge, PermissionDenied, RungwayError
from rungway.gateway.routes import STATE
from rungway.store.reads import new_read
from rungway.web.pages import UI_ROOT, PageHandler, PageRoute
from rungway.web.render import SESSION, UI, redirect, render_error
from rungway.web.session import SESSION_COOKIE, Session

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "apply_security_headers",
    "check_csrf",
    "guarded",
    "is_https",
    "note_page_read",
    "scoped_workload",
    "session_from_cookie",
]

log = logging.getLogger("rungway.web")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_PATH_MAX = 256
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


def is_https(request: web.Request) -> bool:
    """Served over https, directly or behind a proxy that says so (then cookies are Secure)."""
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def apply_security_headers(response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")


def session_from_cookie(request: web.Request) -> Session | None:
    """The live session named by the cookie, with its caller re-read from the key as it is now.

    A revoked or expired key ends its sessions; a changed role applies at once."""
    ui = request.app[UI]
    session = ui.sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is None or session.key_hash is None:
        return session
    key = request.app[STATE].directory.cached_key(session.key_hash)
    if key is None or not key.is_active(time.time()):
        ui.sessions.close(session.id)
        return None
    caller = caller_for_key(key)
    if caller != session.caller:
        session = Session(session.id, session.csrf, caller, session.key_hash, session.label, session.created)
    return session


async def check_csrf(request: web.Request, session: Session) -> None:
    """403 unless the request echoes the session's CSRF token."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise PermissionDenied(
            "The form's security token is missing or out of date. Reload the page and try again.", code="csrf_failed"
        )


def note_page_read(request: web.Request, what: str, workload: str | None) -> None:
    """Record that this session read `what` (logs, usage, traces) of `workload` (None: every workload), as the
    API's `note_read` does: the maturity assessment counts dashboard reads as evidence the logs are watched."""
    writer = request.app[STATE].read_writer
    if writer is not None:
        writer.offer(new_read(what, workload, "ui", request[SESSION].caller.key_id))


def scoped_workload(caller: Caller, asked: str | None) -> str | None:
    """The workload filter this caller may use: any (or all) for admin, else their own (as /api/logs)."""
    if caller.role is Role.ADMIN:
        return asked or None
    if asked and not caller.can_see(asked):
        raise PermissionDenied(
            f"This key belongs to workload {caller.workload!r} and cannot read {asked!r}.", code="workload_forbidden"
        )
    return caller.workload


def _check_path(request: web.Request) -> None:
    for name, value in request.match_info.items():
        if len(value) > _PATH_MAX or has_control_characters(value):
            raise InvalidRequest(f"path parameter {name} must be printable text of at most {_PATH_MAX} characters")


def _to_signin(request: web.Request) -> web.StreamResponse:
    """To the sign-in page, and back here afterwards; an htmx fragment request sends the whole page there."""
    if request.headers.get("HX-Request") == "true":
        current = request.headers.get("HX-Current-URL", "")
        back = "/ui" + current.split("/ui", 1)[1] if "/ui" in current else UI_ROOT
        location = f"{UI_ROOT}/signin?{urlencode({'next': back[:1000]})}"
        return web.Response(status=401, headers={"HX-Redirect": location})
    target = request.path_qs if len(request.path_qs) <= 1000 else request.path
    return redirect(f"{UI_ROOT}/signin?{urlencode({'next': target})}")


def guarded(route: PageRoute) -> PageHandler:
    """The route's handler behind the session, role, path, query and CSRF checks."""

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            session = session_from_cookie(request)
            if session is None:
                if route.method == "GET":
                    return _to_signin(request)
                raise AuthenticationFailed("Sign in first: this session has ended.", code="not_signed_in")
            request[SESSION] = session
            request[CALLER] = session.caller  # so the API's own helpers (`caller_of`) work in pages unchanged
            require(session.caller, route.role)
            _check_path(request)
            check_query(route.params, request.query)
            if route.method != "GET":
                await check_csrf(request, session)
            response = await route.handler(request)
        except RungwayError as error:
            response = render_error(request, error)
        except web.HTTPRequestEntityTooLarge:  # a form past server.max_body_bytes: the caller's mistake, not a bug
            response = render_error(request, PayloadTooLarge("The form is larger than this server accepts."))
        except Exception:  # a bug is a logged 500 page; the gateway lives on
            log.exception("unhandled error in page %s %s", route.method, route.path)
            response = render_error(request, _InternalError("The dashboard hit an internal error; it has been logged."))
        apply_security_headers(response)
        return response

    return handle


class _InternalError(RungwayError):
    status = 500
    error_type = "internal_error"
