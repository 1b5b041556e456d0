"""Who is calling the management API, and may they?

The admin key (RUNGWAY_ADMIN_KEY or server.admin_key) is an admin. An API key acts with its
role (admin, developer, viewer) and, unless admin, only on its own workload where a route
is scoped to one.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass

from aiohttp import web

from rungway.domain.keys import ApiKey, KeyKind, Role
from rungway.errors import AuthenticationFailed, PermissionDenied
from rungway.gateway.auth import bearer_secret
from rungway.gateway.routes import STATE
from rungway.gateway.state import GatewayState
from rungway.store.reads import new_read


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated management API caller."""

    role: Role
    key_id: str | None
    workload: str | None
    kind: KeyKind | None = None  # None for the server's admin key, which is no one's in particular

    def can_see(self, workload: str | None) -> bool:
        return self.role is Role.ADMIN or workload is None or workload == self.workload


async def authenticate_caller(request: web.Request) -> Caller:
    state = request.app[STATE]
    secret = bearer_secret(request.headers)
    if not secret:
        raise AuthenticationFailed(
            "Missing API key: send `Authorization: Bearer <admin or API key>`.", code="missing_api_key"
        )
    caller = await caller_for_secret(state, secret)
    if caller is None:
        raise AuthenticationFailed("Invalid, revoked or expired API key.")
    return caller


def is_admin_key(state: GatewayState, secret: str) -> bool:
    admin = state.config.server.admin_key
    return bool(admin) and hmac.compare_digest(secret.encode(), str(admin).encode())


async def caller_for_secret(state: GatewayState, secret: str) -> Caller | None:
    """The caller an admin key or an active API key acts as (the API and the dashboard's sign-in), or None."""
    if is_admin_key(state, secret):
        return Caller(Role.ADMIN, None, None)
    key = await state.directory.key_for(secret)
    if key is None or not key.is_active(time.time()):
        return None
    return caller_for_key(key)


def caller_for_key(key: ApiKey) -> Caller:
    return Caller(key.role, key.id, key.workload, key.kind)


CALLER = web.RequestKey("rungway_caller", Caller)


def caller_of(request: web.Request) -> Caller:
    """The caller `routes.py` authenticated for this request."""
    return request[CALLER]


def note_read(request: web.Request, what: str, workload: str | None) -> None:
    """Record that this caller read `what` (logs, usage, cost, ...) of `workload` (None: every workload).

    The read is offered to the read writer, so the answer never waits on the insert; the maturity
    assessment counts these reads as evidence that logs and cost are watched."""
    writer = request.app[STATE].read_writer
    if writer is not None:
        writer.offer(new_read(what, workload, "api", caller_of(request).key_id))


def require(caller: Caller, needed: Role) -> None:
    if not caller.role.allows(needed):
        raise PermissionDenied(
            f"This needs the {needed.value} role; the key has {caller.role.value}.", code="insufficient_role"
        )
