"""`/api/prompts`: list, create versions, read, diff, move labels, review, and the record of moves.

Roles: a viewer reads; a developer creates versions and moves labels (protected ones only with
the approvals the workload's policy asks for); a review needs a person's key (developer or admin)
and is never the author's; shared prompts are created and changed by admin keys only.
Scope: a key that is not admin sees its own workload's prompts and the shared ones, and nothing of
another workload: another workload's prompt is answered exactly like a missing one (404). An admin
reads a workload's view with `?workload=` (without it: the shared prompts).
After a write, this server's catalog is refreshed at once; other servers pick it up within
`prompts.refresh_s`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from sqlalchemy import Engine

from rungway.api.auth import Caller, caller_of
from rungway.api.bodies import json_object
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, NotFound, PermissionDenied
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.prompts import service
from rungway.prompts.api_schemas import (
    CREATE_BODY,
    DIFF,
    LABEL_BODY,
    MAX_VERSION,
    MOVE,
    REVIEW,
    REVIEW_BODY,
    SUMMARY,
    VERSION,
    listing,
)
from rungway.prompts.catalog import CATALOG
from rungway.prompts.config import PROMPTS_SECTION, PromptsConfig
from rungway.prompts.diff import diff_versions
from rungway.prompts.hooks import PROMPT_HOOKS, PromptHooks, VersionCreatedEvent
from rungway.prompts.model import Actor, PromptVersion, valid_name
from rungway.prompts.template import PromptContent
from rungway.store.keys import key_by_id
from rungway.store.workloads import get_workload

__all__ = ["actor_for", "actor_of", "announce_version", "router"]

router = ApiRouter("prompts")

_WORKLOAD_PARAM = QueryParam(
    "workload", "whose view: an admin names a workload (default: the key's own)", max_length=64
)


def _view(request: web.Request, name: str | None = None) -> str | None:
    """The workload whose view of the library this request reads (None: the shared prompts only)."""
    caller = caller_of(request)
    asked = request.query.get("workload") or None
    if caller.role is Role.ADMIN:
        return asked if asked is not None else caller.workload
    if asked is not None and asked != caller.workload:
        raise NotFound(f"no prompt named {name!r}" if name else f"no workload {asked!r} for this key", param="name")
    return caller.workload


def _name(request: web.Request) -> str:
    """The prompt named in the path; one that cannot exist is simply not found."""
    name = request.match_info["name"]
    if not valid_name(name):
        raise NotFound(f"no prompt named {name[:80]!r}", param="name")
    return name


def actor_of(engine: Engine, caller: Caller) -> Actor:
    """Who is acting (blocking: reads the key's owner): the owner of the key (a person key's `--owner`), else
    the key id; "admin" for the server's admin key. The dashboard's pages build theirs the same way."""
    if caller.key_id is None:
        return Actor.server_admin()
    key = key_by_id(engine, caller.key_id)
    owner = key.owner if key is not None and key.owner else caller.key_id
    return Actor(owner, caller.key_id, caller.role, caller.kind, caller.workload)


async def actor_for(request: web.Request) -> Actor:
    """`actor_of` the request's caller, off the event loop."""
    return await asyncio.to_thread(actor_of, request.app[STATE].engine, caller_of(request))


def _policy(request: web.Request) -> PromptsConfig:
    return request.app[STATE].config.section(PROMPTS_SECTION)


def _hooks(request: web.Request) -> PromptHooks:
    hooks = request.app[STATE].slots.get(PROMPT_HOOKS)
    return hooks if hooks is not None else PromptHooks()


async def announce_version(request: web.Request, version: PromptVersion) -> None:
    """A new version exists: this server's catalog serves it now, and the hooks' listeners hear of it (evaluation
    runs its bound datasets), whichever door it came through (the API, push, import or the dashboard)."""
    catalog = request.app[STATE].slots.get(CATALOG)
    if catalog is not None:
        catalog.learn(version)
    await _refresh_catalog(request)
    event = VersionCreatedEvent(version.workload, version.name, version.version, version.author, _own_url(request))
    _hooks(request).version_created(event)


def _own_url(request: web.Request) -> str | None:
    """This server's address: the local socket the request came in on (never the caller's Host header)."""
    sockname = request.transport.get_extra_info("sockname") if request.transport is not None else None
    if not isinstance(sockname, tuple) or len(sockname) < 2:
        return None
    host = str(sockname[0])
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{sockname[1]}" if ":" in host else f"http://{host}:{sockname[1]}"


async def _refresh_catalog(request: web.Request) -> None:
    catalog = request.app[STATE].slots.get(CATALOG)
    if catalog is not None:
        await catalog.refresh()


def _version_number(raw: str, name: str) -> int:
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_VERSION:
        raise NotFound(f"prompt {name!r} has no version {raw[:20]!r}", param="version")
    return int(raw)


@router.route(
    "GET",
    "/api/prompts",
    summary="The prompts this key sees: its workload's and the shared ones",
    params=[_WORKLOAD_PARAM, QueryParam("shared", "include shared prompts (default true)", type="boolean")],
    response=listing(SUMMARY),
)
async def get_prompts(request: web.Request) -> web.StreamResponse:
    caller = caller_of(request)
    shared = request.query.get("shared", "true").lower() in ("true", "1", "yes")
    workload = _view(request) if caller.role is not Role.ADMIN or request.query.get("workload") else None
    found = await asyncio.to_thread(
        service.list_prompts, request.app[STATE].engine, workload=workload, include_shared=shared
    )
    return json_response({"object": "list", "data": [p.to_json() for p in found]})


def _target(body: dict[str, Any], actor: Actor) -> str | None:
    """The workload a new version goes to (None: shared)."""
    workload, shared = body.get("workload"), bool(body.get("shared", False))
    if shared:
        if workload is not None:
            raise InvalidRequest("a shared prompt belongs to no workload: drop `workload` or `shared`", param="shared")
        return None
    if workload is None:
        if actor.workload is None:
            raise InvalidRequest(
                "the admin key belongs to no workload: give `workload`, or `shared: true`", param="workload"
            )
        return actor.workload
    if not actor.is_admin and workload != actor.workload:
        raise PermissionDenied(
            f"this key belongs to workload {actor.workload!r} and creates prompts there only", param="workload"
        )
    return str(workload)


@router.route(
    "POST",
    "/api/prompts",
    summary="Create a version of a prompt (the same content twice is one version)",
    role=Role.DEVELOPER,
    body=CREATE_BODY,
    response=VERSION,
)
async def create_prompt_version(request: web.Request) -> web.StreamResponse:
    engine = request.app[STATE].engine
    body = await json_object(request)
    actor = await actor_for(request)
    workload = _target(body, actor)
    if workload is not None and await asyncio.to_thread(get_workload, engine, workload) is None:
        raise NotFound(f"no workload {workload!r}; create it with `rungway workloads create`", param="workload")
    content = PromptContent.from_json(
        {k: body[k] for k in ("messages", "variables", "model", "parameters") if k in body}
    )
    made = await asyncio.to_thread(
        service.create_version,
        engine,
        workload=workload,
        name=str(body["name"]),
        content=content,
        message=str(body.get("message", "")),
        actor=actor,
    )
    if made.created:
        await announce_version(request, made.version)
    return json_response({**made.version.to_json(), "created": made.created})


@router.route(
    "GET",
    "/api/prompts/{name}",
    summary="A prompt version (by version or label; the newest by default)",
    params=[
        _WORKLOAD_PARAM,
        QueryParam("version", "a version number", type="integer", minimum=1, maximum=MAX_VERSION),
        QueryParam("label", "a label (`latest`: the newest version)", max_length=64),
    ],
    response=VERSION,
)
async def get_prompt(request: web.Request) -> web.StreamResponse:
    name = _name(request)
    workload = _view(request, name)
    raw = request.query.get("version")
    found = await asyncio.to_thread(
        service.get_version,
        request.app[STATE].engine,
        workload=workload,
        name=name,
        version=int(raw) if raw else None,
        label=request.query.get("label") or None,
    )
    return json_response(found.to_json())


@router.route(
    "GET",
    "/api/prompts/{name}/versions",
    summary="A prompt's versions, newest first",
    params=[
        _WORKLOAD_PARAM,
        QueryParam("limit", "at most this many (default 20)", type="integer", minimum=1, maximum=100),
        QueryParam("before", "versions before this one (paging back)", type="integer", minimum=1, maximum=MAX_VERSION),
    ],
    response=listing(VERSION),
)
async def get_versions(request: web.Request) -> web.StreamResponse:
    name = _name(request)
    q = request.query
    found = await asyncio.to_thread(
        service.list_versions,
        request.app[STATE].engine,
        workload=_view(request, name),
        name=name,
        limit=int(q.get("limit") or 20),
        before=int(q["before"]) if q.get("before") else None,
    )
    return json_response({"object": "list", "data": [v.to_json() for v in found]})


def _version_of(engine: Any, workload: str | None, name: str, ref: str) -> PromptVersion:
    """A version named by its number or by a label."""
    if ref.isascii() and ref.isdigit():
        return service.get_version(engine, workload=workload, name=name, version=_version_number(ref, name))
    return service.get_version(engine, workload=workload, name=name, label=ref)


@router.route(
    "GET",
    "/api/prompts/{name}/diff",
    summary="What changed between two versions (numbers or labels)",
    params=[
        _WORKLOAD_PARAM,
        QueryParam("from", "a version number or label (default: the version before `to`)", max_length=64),
        QueryParam("to", "a version number or label (default: latest)", max_length=64),
    ],
    response=DIFF,
)
async def get_diff(request: web.Request) -> web.StreamResponse:
    name = _name(request)
    workload = _view(request, name)
    engine = request.app[STATE].engine

    def both() -> tuple[PromptVersion, PromptVersion]:
        after = _version_of(engine, workload, name, request.query.get("to") or "latest")
        before = request.query.get("from") or str(max(1, after.version - 1))
        return _version_of(engine, workload, name, before), after

    a, b = await asyncio.to_thread(both)
    return json_response(diff_versions(a, b).to_json())


@router.route(
    "POST",
    "/api/prompts/{name}/labels/{label}",
    summary="Move a label to a version (recorded; protected labels need approvals)",
    role=Role.DEVELOPER,
    body=LABEL_BODY,
    response=MOVE,
)
async def post_label(request: web.Request) -> web.StreamResponse:
    name = _name(request)
    body = await json_object(request)
    actor = await actor_for(request)
    move = await asyncio.to_thread(
        service.move_label,
        request.app[STATE].engine,
        _policy(request),
        workload=_view(request, name),
        name=name,
        label=request.match_info["label"],
        version=int(body["version"]),
        reason=str(body["reason"]),
        actor=actor,
    )
    await _refresh_catalog(request)
    return json_response(move.to_json())


@router.route(
    "POST",
    "/api/prompts/{name}/versions/{version}/reviews",
    summary="Approve or reject a version (a person's key, never the author's)",
    role=Role.DEVELOPER,
    body=REVIEW_BODY,
    response=REVIEW,
)
async def post_review(request: web.Request) -> web.StreamResponse:
    name = _name(request)
    version = _version_number(request.match_info["version"], name)
    body = await json_object(request)
    actor = await actor_for(request)
    made = await asyncio.to_thread(
        service.review,
        request.app[STATE].engine,
        _policy(request),
        workload=_view(request, name),
        name=name,
        version=version,
        decision=str(body["decision"]),
        comment=str(body["comment"]),
        actor=actor,
    )
    return json_response(made.to_json())


@router.route(
    "GET",
    "/api/prompts/{name}/reviews",
    summary="Approvals and rejections of a prompt's versions",
    params=[
        _WORKLOAD_PARAM,
        QueryParam("version", "one version's only", type="integer", minimum=1, maximum=MAX_VERSION),
    ],
    response=listing(REVIEW),
)
async def get_reviews(request: web.Request) -> web.StreamResponse:
    name = _name(request)
    raw = request.query.get("version")
    found = await asyncio.to_thread(
        service.reviews,
        request.app[STATE].engine,
        workload=_view(request, name),
        name=name,
        version=int(raw) if raw else None,
    )
    return json_response({"object": "list", "data": [r.to_json() for r in found]})


@router.route(
    "GET",
    "/api/prompts/{name}/moves",
    summary="Every move of a prompt's labels: who, when, from, to, why, approvers",
    params=[
        _WORKLOAD_PARAM,
        QueryParam("label", "one label's only", max_length=64),
        QueryParam("limit", "at most this many (default 100)", type="integer", minimum=1, maximum=1000),
    ],
    response=listing(MOVE),
)
async def get_moves(request: web.Request) -> web.StreamResponse:
    name = _name(request)
    q = request.query
    found = await asyncio.to_thread(
        service.label_moves,
        request.app[STATE].engine,
        workload=_view(request, name),
        name=name,
        label=q.get("label") or None,
        limit=int(q.get("limit") or 100),
    )
    return json_response({"object": "list", "data": [m.to_json() for m in found]})
