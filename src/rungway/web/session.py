"""Dashboard sessions and one-time sign-in links, kept in the gateway process's memory.

A session is opened by signing in with the admin key or an API key and is named by a random id in an
HttpOnly cookie; the secret itself is never kept. Each session carries its own CSRF token (the
synchronizer pattern: every POST must echo it). A key's session re-checks the key on every request
against the gateway's in-memory directory, so revoking or expiring the key ends its sessions within
the directory's refresh. Sessions live in this process only: a restart signs everyone out, and behind
several replicas a sticky balancer is needed (documented in docs/dashboard.md).

A one-time sign-in link (what `make run` prints) carries `nonce.expiry.signature`, signed with the
admin key, so the process that prints it needs no access to the server's memory; the server accepts
each nonce once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from rungway.api.auth import Caller

__all__ = ["SESSION_COOKIE", "SIGNIN_CSRF_COOKIE", "Session", "SessionStore", "SigninLinks", "signin_token"]

SESSION_COOKIE = "rungway_session"
SIGNIN_CSRF_COOKIE = "rungway_signin_csrf"  # double-submit token of the sign-in form, before any session
_LINK_PURPOSE = b"rungway-ui-signin-link:"


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser: who it acts as (the API's own `Caller`) and its CSRF token."""

    id: str
    csrf: str
    caller: Caller
    key_hash: str | None  # the key it signed in with (None for the admin key), re-checked per request
    label: str  # shown in the header: "admin" or the key's name
    created: float


class SessionStore:
    """Open sessions by id: bounded (oldest dropped first), idle and absolute time-outs."""

    def __init__(
        self,
        *,
        idle_s: float = 8 * 3600,
        max_age_s: float = 24 * 3600,
        max_sessions: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._idle_s = idle_s
        self._max_age_s = max_age_s
        self._max = max_sessions
        self._clock = clock
        self._sessions: OrderedDict[str, tuple[Session, float]] = OrderedDict()

    def open(self, caller: Caller, key_hash: str | None, label: str) -> Session:
        now = self._clock()
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), caller, key_hash, label, now)
        self._sessions[session.id] = (session, now)
        while len(self._sessions) > self._max:
            self._sessions.popitem(last=False)
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session with this id (and its idle clock restarted), or None."""
        if not session_id or len(session_id) > 128:
            return None
        found = self._sessions.get(session_id)
        if found is None:
            return None
        session, last_seen = found
        now = self._clock()
        if now - last_seen > self._idle_s or now - session.created > self._max_age_s:
            del self._sessions[session_id]
            return None
        self._sessions[session_id] = (session, now)
        self._sessions.move_to_end(session_id)
        return session

    def close(self, session_id: str | None) -> None:
        if session_id:
            self._sessions.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._sessions)


def _signature(admin_key: str, payload: str) -> str:
    return hmac.new(admin_key.encode(), _LINK_PURPOSE + payload.encode(), hashlib.sha256).hexdigest()[:40]


def signin_token(admin_key: str, now: float | None = None, ttl_s: float = 3600) -> str:
    """A one-time sign-in token for /ui/signin/link?token=..., valid `ttl_s` seconds, acting as admin."""
    payload = f"{secrets.token_urlsafe(18)}.{int((time.time() if now is None else now) + ttl_s)}"
    return f"{payload}.{_signature(admin_key, payload)}"


class SigninLinks:
    """Redeems one-time sign-in tokens: a valid signature, not expired, each nonce once."""

    def __init__(self, admin_key: str | None, clock: Callable[[], float] = time.time) -> None:
        self._admin_key = admin_key
        self._clock = clock
        self._used: dict[str, float] = {}  # nonce -> its expiry (kept until then, so it cannot be replayed)

    def redeem(self, token: str) -> bool:
        if self._admin_key is None or len(token) > 200:
            return False
        parts = token.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            return False
        nonce, expiry, signature = parts
        if not hmac.compare_digest(signature.encode(), _signature(self._admin_key, f"{nonce}.{expiry}").encode()):
            return False
        now = self._clock()
        self._used = {n: e for n, e in self._used.items() if e > now} if len(self._used) > 1000 else self._used
        if int(expiry) <= now or nonce in self._used:
            return False
        self._used[nonce] = float(expiry)
        return True
