"""The dataset pages: the datasets the caller sees, and a dataset version's cases, 50 a page.

Read with `list_datasets`, `list_versions`, `get_version` and `get_cases`, the functions `/api/datasets` uses,
in the caller's view: a workload's key sees its own and the shared datasets; the admin names a workload
(`?workload=`) or sees every dataset. Another workload's dataset is a 404 page, like a missing one.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote, urlencode

import orjson
from aiohttp import web

from rungway.api.auth import Caller
from rungway.api.registry import QueryParam
from rungway.domain.keys import Role
from rungway.errors import NotFound
from rungway.evals.datasets.service import get_cases, get_version, list_datasets, list_versions
from rungway.evals.pages import pages
from rungway.gateway.routes import STATE
from rungway.web.render import current_session, render

__all__ = ["DATASETS_PAGE", "dataset_url", "view_of"]

DATASETS_PAGE = "/ui/evals/datasets"
CASES_PER_PAGE = 50
_WORKLOAD = QueryParam("workload", "the dataset's workload (admin; empty: shared)", max_length=64)
_CASE_PARAMS = [
    _WORKLOAD,
    QueryParam("offset", "skip this many cases", type="integer", minimum=0, maximum=1_000_000),
]


def view_of(caller: Caller, asked: str | None) -> str | None:
    """The workload whose view a page reads: the admin's choice, else the key's own (another is a 404)."""
    if caller.role is Role.ADMIN:
        return asked or None
    if asked and asked != caller.workload:
        raise NotFound(f"no dataset for this key in workload {asked!r}", param="workload")
    return caller.workload


def dataset_url(name: str, workload: str | None, version: int, offset: int = 0) -> str:
    """A dataset version's page: /ui/evals/datasets/NAME/versions/N?workload=W&offset=K."""
    query = {**({"workload": workload} if workload else {}), **({"offset": str(offset)} if offset else {})}
    path = f"{DATASETS_PAGE}/{quote(name, safe='')}/versions/{version}"
    return f"{path}?{urlencode(query)}" if query else path


@pages.page(DATASETS_PAGE, title="Eval datasets", params=[_WORKLOAD])
async def dataset_list(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    asked = request.query.get("workload") or None
    view = view_of(caller, asked)
    everything = caller.role is Role.ADMIN and asked is None
    rows = await asyncio.to_thread(list_datasets, request.app[STATE].engine, workload=view, everything=everything)
    return render(
        request, "evals/datasets.html", title="Eval datasets", rows=rows, url=dataset_url,
        query={"workload": asked or ""}, admin=caller.role is Role.ADMIN,
    )  # fmt: skip


@pages.page(f"{DATASETS_PAGE}/{{name}}/versions/{{version:[0-9]{{1,9}}}}", title="Dataset version", params=_CASE_PARAMS)
async def dataset_version(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    engine = request.app[STATE].engine
    name = request.match_info["name"]
    view = view_of(caller, request.query.get("workload") or None)
    version = await asyncio.to_thread(
        get_version, engine, workload=view, name=name, version=int(request.match_info["version"])
    )
    offset = int(request.query.get("offset") or 0)
    cases = await asyncio.to_thread(get_cases, engine, version, offset=offset, limit=CASES_PER_PAGE)
    versions = await asyncio.to_thread(list_versions, engine, workload=view, name=name, limit=50)
    following = offset + len(cases) if offset + len(cases) < version.case_count else None
    return render(
        request,
        "evals/dataset.html",
        title=f"Dataset {name} version {version.version}",
        v=version,
        cases=[(c, orjson.dumps(dict(c.vars) or list(c.messages or ())).decode()) for c in cases],
        versions=versions,
        offset=offset,
        next_url=None if following is None else dataset_url(name, version.workload, version.version, following),
        url=dataset_url,
    )
