"""Who calls the evals routes and which workload they act in: the prompt library's scoping, in one place.

A key that is not admin reads and writes its own workload only; asking for another with `?workload=` is
answered like a missing record (404). An admin reads any workload's view with `?workload=` and writes to
the workload a body names.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from rungway.api.auth import caller_of
from rungway.api.registry import QueryParam
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, NotFound, PermissionDenied
from rungway.evals.actor import Actor
from rungway.gateway.routes import STATE
from rungway.store.keys import key_by_id

__all__ = ["WORKLOAD_PARAM", "actor_for", "target_workload", "view_of"]

WORKLOAD_PARAM = QueryParam("workload", "whose view: an admin names a workload (default: the key's own)",
                            max_length=64)  # fmt: skip


def view_of(request: web.Request, what: str) -> str | None:
    """The workload whose records this request reads (None: an admin key without `?workload=`)."""
    caller = caller_of(request)
    asked = request.query.get("workload") or None
    if caller.role is Role.ADMIN:
        return asked if asked is not None else caller.workload
    if asked is not None and asked != caller.workload:
        raise NotFound(f"no {what} for this key in workload {asked!r}", param="workload")
    return caller.workload


async def actor_for(request: web.Request) -> Actor:
    """Who is acting: the key's owner (a person key's `--owner`), else the key id; "admin" for the admin key."""
    caller = caller_of(request)
    if caller.key_id is None:
        return Actor.admin()
    key = await asyncio.to_thread(key_by_id, request.app[STATE].engine, caller.key_id)
    owner = key.owner if key is not None and key.owner else caller.key_id
    return Actor(owner, caller.key_id, caller.role, caller.workload)


def target_workload(body: dict[str, Any], actor: Actor, *, may_share: bool) -> str | None:
    """The workload a write goes to (None: shared, when `may_share` and the body says `shared: true`)."""
    workload, shared = body.get("workload"), bool(body.get("shared", False))
    if shared:
        if not may_share:
            raise InvalidRequest("shared is not a field here", param="shared")
        if workload is not None:
            raise InvalidRequest("a shared record belongs to no workload: drop `workload` or `shared`", param="shared")
        return None
    if workload is None:
        if actor.workload is None:
            fix = "give `workload`, or `shared: true`" if may_share else "give `workload`"
            raise InvalidRequest(f"the admin key belongs to no workload: {fix}", param="workload")
        return actor.workload
    if not actor.is_admin and workload != actor.workload:
        raise PermissionDenied(f"this key belongs to workload {actor.workload!r} and writes there only",
                               param="workload")  # fmt: skip
    return str(workload)
