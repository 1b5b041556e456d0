"""`/api/datasets`: list datasets, create (import) a version from a JSON body of cases, read a version with
its cases a page at a time, and export a version as JSONL.

Roles: a viewer reads; a developer creates versions in its own workload; shared datasets are created by
admin keys only and read by every key. A key that is not admin sees its workload's datasets and the shared
ones, and another workload's dataset is answered exactly like a missing one (404). An admin reads a
workload's view with `?workload=` (without it: the shared datasets, or every dataset in the list with
`?all=true`). The same cases posted twice are the same version (200, `created: false`; a new version: 201).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from rungway.api.auth import caller_of
from rungway.api.bodies import json_object
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, NotFound
from rungway.evals.api_access import WORKLOAD_PARAM, actor_for, target_workload, view_of
from rungway.evals.datasets import service
from rungway.evals.datasets.formats import parse_raw_cases, write_jsonl
from rungway.evals.datasets.model import NAME_PATTERN, DatasetVersion
from rungway.evals.datasets.schemas import CASE, CREATE_BODY, SUMMARY, VERSION, iso, listing, version_json
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE

__all__ = ["router"]

router = ApiRouter("datasets")

_MAX_VERSION = 10_000_000


def _name(request: web.Request) -> str:
    name = request.match_info["name"]
    if NAME_PATTERN.fullmatch(name) is None:
        raise NotFound(f"no dataset named {name[:80]!r}", param="name")
    return name


def _version_number(raw: str, name: str) -> int | None:
    if raw == "latest":
        return None
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= _MAX_VERSION:
        raise NotFound(f"dataset {name!r} has no version {raw[:20]!r}", param="version")
    return int(raw)


@router.route(
    "GET",
    "/api/datasets",
    summary="The datasets this key sees: its workload's and the shared ones",
    params=[WORKLOAD_PARAM, QueryParam("all", "an admin lists every workload's datasets", type="boolean")],
    response=listing(SUMMARY),
)
async def get_datasets(request: web.Request) -> web.StreamResponse:
    caller = caller_of(request)
    everything = caller.role is Role.ADMIN and request.query.get("all", "").lower() in ("true", "1", "yes")
    workload = view_of(request, "datasets")
    found = await asyncio.to_thread(
        service.list_datasets, request.app[STATE].engine, workload=workload, everything=everything
    )
    data = [
        {"name": d.name, "workload": d.workload, "shared": d.workload is None, "latest_version": d.latest_version,
         "case_count": d.case_count, "updated_at": iso(d.updated_at)}
        for d in found
    ]  # fmt: skip
    return json_response({"object": "list", "data": data})


@router.route(
    "POST",
    "/api/datasets",
    summary="Create a dataset version from cases (the same cases twice are one version)",
    role=Role.DEVELOPER,
    body=CREATE_BODY,
    response=VERSION,
    status=201,
)
async def create_dataset_version(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    actor = await actor_for(request)
    workload = target_workload(body, actor, may_share=True)
    defaults = body.get("defaultTest") or {}
    if "default_assertions" in body:
        defaults = {**defaults, "assert": body["default_assertions"]}
    raw = [(case, f"cases[{index}]") for index, case in enumerate(body["cases"])]
    parsed = await asyncio.to_thread(parse_raw_cases, raw, defaults, "json")
    made = await asyncio.to_thread(
        service.create_version,
        request.app[STATE].engine,
        workload=workload,
        name=body["name"],
        cases=parsed.cases,
        default_assertions=parsed.default_assertions,
        description=body.get("description") or "",
        source=body.get("source") or "api",
        actor=actor,
    )
    return json_response({**version_json(made.version), "created": made.created}, status=201 if made.created else 200)


@router.route(
    "GET",
    "/api/datasets/{name}",
    summary="A dataset's versions, newest first",
    params=[
        WORKLOAD_PARAM,
        QueryParam("limit", "at most this many (default 100)", type="integer", minimum=1, maximum=1000),
    ],
    response=listing(VERSION),
)
async def get_dataset_versions(request: web.Request) -> web.StreamResponse:
    name = _name(request)
    found = await asyncio.to_thread(
        service.list_versions,
        request.app[STATE].engine,
        workload=view_of(request, "dataset"),
        name=name,
        limit=int(request.query.get("limit") or 100),
    )
    return json_response({"object": "list", "data": [version_json(v) for v in found]})


async def _version(request: web.Request) -> DatasetVersion:
    name = _name(request)
    number = _version_number(request.match_info["version"], name)
    return await asyncio.to_thread(
        service.get_version, request.app[STATE].engine, workload=view_of(request, "dataset"), name=name,
        version=number,
    )  # fmt: skip


@router.route(
    "GET",
    "/api/datasets/{name}/versions/{version}",
    summary="One version (a number, or latest) with a page of its cases",
    params=[
        WORKLOAD_PARAM,
        QueryParam("offset", "skip this many cases (default 0)", type="integer", minimum=0, maximum=1_000_000),
        QueryParam("limit", "at most this many cases (default 100)", type="integer", minimum=1, maximum=1000),
    ],
    response={
        **VERSION,
        "properties": {
            **VERSION["properties"],
            "cases": {"type": "array", "items": CASE},
            "next_offset": {"type": ["integer", "null"]},
        },
    },
)
async def get_dataset_version(request: web.Request) -> web.StreamResponse:
    version = await _version(request)
    offset, limit = int(request.query.get("offset") or 0), int(request.query.get("limit") or 100)
    cases = await asyncio.to_thread(service.get_cases, request.app[STATE].engine, version, offset=offset, limit=limit)
    following = offset + len(cases) if offset + len(cases) < version.case_count else None
    data: dict[str, Any] = {**version_json(version), "cases": [c.to_json() for c in cases], "next_offset": following}
    return json_response(data)


_EXPORT_JSON_CASES = 1_000


@router.route(
    "GET",
    "/api/datasets/{name}/versions/{version}/export",
    summary="A version as JSONL (a defaultTest line first when it has default assertions), or as one JSON object",
    params=[
        WORKLOAD_PARAM,
        QueryParam("format", "jsonl (default; streamed) or json (versions of up to 1,000 cases)",
                   enum=("jsonl", "json")),
    ],
    response={**VERSION, "properties": {**VERSION["properties"], "cases": {"type": "array", "items": CASE}}},
    content_types=("application/x-ndjson", "application/json"),
)  # fmt: skip
async def export_dataset_version(request: web.Request) -> web.StreamResponse:
    version = await _version(request)
    engine = request.app[STATE].engine
    if request.query.get("format") == "json":
        if version.case_count > _EXPORT_JSON_CASES:
            pages = f"/api/datasets/{version.name}/versions/{version.version}"
            raise InvalidRequest(f"{version.ref} has {version.case_count:,} cases: export it as JSONL, or page "
                                 f"through {pages}", param="format")  # fmt: skip
        cases = await asyncio.to_thread(service.get_cases, engine, version, limit=_EXPORT_JSON_CASES)
        return json_response({**version_json(version), "cases": [c.to_json() for c in cases]})
    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
    response.headers["Content-Disposition"] = f'attachment; filename="{version.name}@{version.version}.jsonl"'
    await response.prepare(request)
    for line in write_jsonl((), version.default_assertions):
        await response.write(line)
    offset = 0
    while offset < version.case_count:
        cases = await asyncio.to_thread(service.get_cases, engine, version, offset=offset, limit=1000)
        if not cases:
            break
        await response.write(b"".join(write_jsonl(cases, ())))
        offset += len(cases)
    await response.write_eof()
    return response
