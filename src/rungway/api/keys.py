"""`/api/keys`: create (the secret is returned once), list, read and revoke API keys.

A new or revoked key takes effect on this gateway at once (the in-memory directory is updated
here) and on other replicas within a second (their directories refresh from the store).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from rungway.api.auth import caller_of
from rungway.api.bodies import NAME, flag, json_object, nullable, optional_str, str_list, text
from rungway.api.registry import DURATION_PATTERN, LATEST_TIME, ApiRouter, QueryParam
from rungway.api.workloads import WORKLOAD_NAME
from rungway.domain.keys import KeyKind, Role
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.services.keys import create_api_key, describe_key, find_key, resolve_expiry, revoke_api_key
from rungway.settings.config import INT64_MAX
from rungway.store.keys import list_keys
from rungway.store.workloads import get_workload

__all__ = ["KEY_SCHEMA", "router"]

router = ApiRouter("keys")

_NULLABLE_INT = {"type": ["integer", "null"], "minimum": 1, "maximum": INT64_MAX}  # as the config takes
_NULLABLE_TIME = {"type": ["number", "null"], "description": "epoch seconds"}

KEY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An API key's public fields; the hash and the secret are never returned here.",
    "properties": {
        "id": {"type": "string"},
        "prefix": {"type": "string", "description": "the first characters of the secret, to recognise it"},
        "name": {"type": "string"},
        "workload": {"type": "string"},
        "owner": {"type": ["string", "null"]},
        "role": {"type": "string", "enum": [r.value for r in Role]},
        "kind": {"type": "string", "enum": [k.value for k in KeyKind], "description": "person or application"},
        "allowed_models": {"type": "array", "items": {"type": "string"}, "description": "empty: any model"},
        "rpm_limit": _NULLABLE_INT,
        "tpm_limit": _NULLABLE_INT,
        "created_at": {"type": "number"},
        "expires_at": _NULLABLE_TIME,
        "revoked_at": _NULLABLE_TIME,
        "status": {"type": "string", "enum": ["active", "expired", "revoked"]},
    },
    "required": ["id", "prefix", "name", "workload", "role", "status"],
}

_CREATE_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["workload"],
    "additionalProperties": False,
    "properties": {
        "workload": {**WORKLOAD_NAME, "description": "created with defaults if it does not exist"},
        "name": NAME,
        "owner": nullable(text(256, "the user a call is attributed to by default")),
        "role": {"type": "string", "enum": [r.value for r in Role], "default": "developer"},
        "kind": {
            "type": "string",
            "enum": [k.value for k in KeyKind],
            "default": "application",
            "description": "person: a person's key (may attest maturity items); application: a workload's key",
        },
        "allowed_models": {"type": "array", "items": text(128), "maxItems": 256},
        "rpm_limit": _NULLABLE_INT,
        "tpm_limit": _NULLABLE_INT,
        "expires_at": {
            "type": ["number", "string", "null"],
            "minimum": 0,
            "maximum": LATEST_TIME,
            "maxLength": 64,
            "description": "epoch seconds or ISO 8601",
        },
        "expires_in": {"type": ["string", "null"], "pattern": DURATION_PATTERN, "description": "from now: 30d, 12h"},
    },
}

_CREATED: dict[str, Any] = {
    "type": "object",
    "properties": {
        "key": KEY_SCHEMA,
        "secret": {"type": "string", "description": "shown once; only its hash is stored"},
        "workload_created": {"type": "boolean"},
    },
    "required": ["key", "secret"],
}

_LIST: dict[str, Any] = {
    "type": "object",
    "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": KEY_SCHEMA}},
}

_CREATE_FIELDS = set(_CREATE_BODY["properties"])


def _limit(body: dict[str, Any], field: str) -> int | None:
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequest(f"{field} must be a whole number >= 1 or null, got {value!r}", param=field)
    return value


def _role(body: dict[str, Any]) -> Role:
    raw = body.get("role", Role.DEVELOPER.value)
    try:
        return Role(raw)
    except ValueError:
        raise InvalidRequest(f"role must be admin, developer or viewer, got {raw!r}", param="role") from None


@router.route(
    "POST", "/api/keys", summary="Create an API key", role=Role.ADMIN, body=_CREATE_BODY, response=_CREATED, status=201
)
async def create_key(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    unknown = sorted(set(body) - _CREATE_FIELDS)
    if unknown:
        raise InvalidRequest(f"unknown field {unknown[0]!r}; use {', '.join(sorted(_CREATE_FIELDS))}", param=unknown[0])
    workload = optional_str(body, "workload")
    if not workload:
        raise InvalidRequest('workload is required, e.g. {"workload": "support-bot"}', param="workload")
    expires_at = body.get("expires_at")
    if expires_at is not None and not isinstance(expires_at, str | int | float):
        raise InvalidRequest(f"expires_at must be epoch seconds or ISO 8601, got {expires_at!r}", param="expires_at")
    state = request.app[STATE]
    created = await asyncio.to_thread(
        create_api_key,
        state.engine,
        workload=workload,
        name=optional_str(body, "name") or "",
        owner=optional_str(body, "owner"),
        role=_role(body),
        allowed_models=str_list(body, "allowed_models"),
        rpm_limit=_limit(body, "rpm_limit"),
        tpm_limit=_limit(body, "tpm_limit"),
        expires_at=resolve_expiry(expires_at, optional_str(body, "expires_in"), time.time()),
        kind=KeyKind(optional_str(body, "kind") or KeyKind.APPLICATION),
    )
    state.directory.put_key(created.key)
    row = await asyncio.to_thread(get_workload, state.engine, workload)
    if row is not None:
        state.directory.put_workload(row)
    return json_response(
        {"key": describe_key(created.key), "secret": created.secret, "workload_created": created.workload_created},
        status=201,
    )


@router.route(
    "GET",
    "/api/keys",
    summary="List API keys",
    params=[
        QueryParam("workload", "only this workload's keys", max_length=64),
        QueryParam("include_revoked", "also list revoked keys", type="boolean"),
    ],
    response=_LIST,
)
async def list_api_keys(request: web.Request) -> web.StreamResponse:
    caller = caller_of(request)
    workload = request.query.get("workload") or None
    if caller.role is not Role.ADMIN:
        if workload is not None and not caller.can_see(workload):
            raise NotFound(f"no workload {workload!r} visible to this key", param="workload")
        workload = caller.workload
    keys = await asyncio.to_thread(list_keys, request.app[STATE].engine, workload, flag(request, "include_revoked"))
    now = time.time()
    return json_response({"object": "list", "data": [describe_key(k, now) for k in keys]})


async def _visible_key(request: web.Request) -> dict[str, Any]:
    key = await asyncio.to_thread(find_key, request.app[STATE].engine, request.match_info["key_id"])
    if not caller_of(request).can_see(key.workload):
        raise NotFound(f"no API key with id or prefix {request.match_info['key_id']!r}", param="key_id")
    return describe_key(key)


@router.route("GET", "/api/keys/{key_id}", summary="Read one API key (by id or prefix)", response=KEY_SCHEMA)
async def get_key(request: web.Request) -> web.StreamResponse:
    return json_response(await _visible_key(request))


async def _revoke(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    key = await asyncio.to_thread(revoke_api_key, state.engine, request.match_info["key_id"])
    state.directory.put_key(key)
    return json_response(describe_key(key))


router.route("POST", "/api/keys/{key_id}/revoke", summary="Revoke an API key", role=Role.ADMIN, response=KEY_SCHEMA)(
    _revoke
)
router.route("DELETE", "/api/keys/{key_id}", summary="Revoke an API key", role=Role.ADMIN, response=KEY_SCHEMA)(_revoke)
