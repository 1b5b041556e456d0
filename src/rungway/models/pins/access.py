"""Who calls the `/api/models/...` routes of pins and upgrades, and which workload they act in.

A key that is not admin reads and writes its own workload only: naming another is the same 404 as a
missing record. The admin key reads every workload (or the one `?workload=` names) and writes to the
workload a body names.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from rungway.api.auth import caller_of
from rungway.api.registry import QueryParam
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.routes import STATE
from rungway.store.keys import key_by_id

__all__ = ["WORKLOAD_PARAM", "acting_name", "read_scope", "write_scope"]

WORKLOAD_PARAM = QueryParam(
    "workload", "whose records: an admin names a workload (default: the key's own)", max_length=64
)


def read_scope(request: web.Request, what: str) -> str | None:
    """The workload whose records this request reads (None: the admin key without `?workload=`)."""
    caller = caller_of(request)
    asked = request.query.get("workload") or None
    if caller.role is Role.ADMIN:
        return asked if asked is not None else caller.workload
    if asked is not None and asked != caller.workload:
        raise NotFound(f"no {what} in workload {asked!r} for this key", param="workload")
    return caller.workload


def write_scope(request: web.Request, asked: str | None, what: str) -> str:
    """The workload a write goes to: the key's own (another is a 404), or the one an admin names."""
    caller = caller_of(request)
    if caller.role is Role.ADMIN:
        workload = asked or caller.workload
        if not workload:
            raise InvalidRequest("the admin key belongs to no workload: give `workload`", param="workload")
        return workload
    if caller.workload is None:
        raise NotFound(f"no {what} for this key (it belongs to no workload)")
    if asked is not None and asked != caller.workload:
        raise NotFound(f"no {what} in workload {asked!r} for this key", param="workload")
    return caller.workload


async def acting_name(request: web.Request) -> str:
    """Who acts, as recorded: the key's owner, else the key id; "admin" for the server's admin key."""
    caller = caller_of(request)
    if caller.key_id is None:
        return "admin"
    key = await asyncio.to_thread(key_by_id, request.app[STATE].engine, caller.key_id)
    return key.owner if key is not None and key.owner else caller.key_id
