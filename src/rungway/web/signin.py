"""Signing in and out of the dashboard: the key form, the one-time link, sign-out.

The form takes the admin key or an API key and checks it exactly as the management API does
(`caller_for_secret`); before a session exists the form is protected by a double-submit token (a
cookie and a hidden field that must match), so another site cannot sign a browser in as someone else.
"""

from __future__ import annotations

import hmac
import re
import secrets

from aiohttp import web

from rungway.api.auth import Caller, caller_for_secret, is_admin_key
from rungway.domain.keys import Role, hash_key, visible_prefix
from rungway.errors import PermissionDenied
from rungway.gateway.routes import STATE
from rungway.web.guard import CSRF_FIELD, apply_security_headers, check_csrf, is_https, session_from_cookie
from rungway.web.pages import UI_ROOT
from rungway.web.render import UI, redirect, render, render_error
from rungway.web.session import SESSION_COOKIE, SIGNIN_CSRF_COOKIE, Session

__all__ = ["add_signin_routes", "safe_next"]

_NEXT = re.compile(r"^/ui(/[A-Za-z0-9_\-./%]*)?(\?[^\\\s]*)?$")
_MAX_SECRET = 512


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a dashboard path only (never another site)."""
    if value and len(value) <= 1000 and _NEXT.match(value) and "//" not in value and "/.." not in value:
        return value
    return UI_ROOT


def _set_session_cookie(response: web.StreamResponse, request: web.Request, session: Session) -> None:
    response.set_cookie(
        SESSION_COOKIE, session.id, path=UI_ROOT, httponly=True, samesite="Lax", secure=is_https(request)
    )


def _signin_page(request: web.Request, *, status: int = 200, message: str | None = None) -> web.StreamResponse:
    token = request.cookies.get(SIGNIN_CSRF_COOKIE)
    if not token or len(token) > 128:
        token = secrets.token_urlsafe(32)
    response = render(
        request,
        "web/signin.html",
        status=status,
        title="Sign in",
        signin_csrf=token,
        next=safe_next(request.query.get("next")),
        message=message,
    )
    response.set_cookie(
        SIGNIN_CSRF_COOKIE, token, path=UI_ROOT, httponly=True, samesite="Strict", secure=is_https(request)
    )
    apply_security_headers(response)
    return response


async def signin_form(request: web.Request) -> web.StreamResponse:
    if session_from_cookie(request) is not None:
        return redirect(safe_next(request.query.get("next")))
    return _signin_page(request)


async def signin_submit(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    cookie = request.cookies.get(SIGNIN_CSRF_COOKIE, "")
    sent = form.get(CSRF_FIELD)
    if not cookie or not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), cookie.encode()):
        response = render_error(
            request,
            PermissionDenied("The sign-in form expired. Reload the page and sign in again.", code="csrf_failed"),
        )
        apply_security_headers(response)
        return response
    secret = form.get("key")
    next_path = safe_next(form.get("next") if isinstance(form.get("next"), str) else None)  # type: ignore[arg-type]
    if not isinstance(secret, str) or not secret.strip() or len(secret) > _MAX_SECRET:
        return _signin_page(request, status=400, message="Paste the admin key or an API key.")
    secret = secret.strip()
    state = request.app[STATE]
    caller = await caller_for_secret(state, secret)
    if caller is None:
        return _signin_page(request, status=401, message="That key is not valid: it is unknown, revoked or expired.")
    admin = is_admin_key(state, secret)
    label = "admin key" if admin else f"{visible_prefix(secret)}… ({caller.role.value}, {caller.workload})"
    session = request.app[UI].sessions.open(caller, None if admin else hash_key(secret), label)
    response = redirect(next_path)
    _set_session_cookie(response, request, session)
    response.del_cookie(SIGNIN_CSRF_COOKIE, path=UI_ROOT)
    return response


async def signin_link(request: web.Request) -> web.StreamResponse:
    """A one-time link (`make run` prints one): signs in as admin once, then the link is spent."""
    ui = request.app[UI]
    if not ui.signin_links.redeem(request.query.get("token", "")):
        return _signin_page(request, status=401, message="That sign-in link was already used or has expired.")
    session = ui.sessions.open(Caller(Role.ADMIN, None, None), None, "admin (sign-in link)")
    response = redirect(UI_ROOT)
    _set_session_cookie(response, request, session)
    return response


async def signout(request: web.Request) -> web.StreamResponse:
    session = session_from_cookie(request)
    if session is not None:
        try:
            await check_csrf(request, session)
        except PermissionDenied as error:
            response = render_error(request, error)
            apply_security_headers(response)
            return response
        request.app[UI].sessions.close(session.id)
    response = redirect(f"{UI_ROOT}/signin")
    response.del_cookie(SESSION_COOKIE, path=UI_ROOT)
    return response


def add_signin_routes(app: web.Application) -> None:
    app.router.add_get(f"{UI_ROOT}/signin", signin_form)
    app.router.add_post(f"{UI_ROOT}/signin", signin_submit)
    app.router.add_get(f"{UI_ROOT}/signin/link", signin_link)
    app.router.add_post(f"{UI_ROOT}/signout", signout)
