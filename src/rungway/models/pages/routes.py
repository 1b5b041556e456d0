"""`/ui/models/routes`: a workload's routing rules (first match wins) and the deployments of each public
model, with the explain form: which rule and which deployments a described call would get.

The same data and scope as `GET /api/models/routes` and `POST /api/models/routes/explain`: a key sees
its own workload; the admin names one (or sees every workload's rules). Explaining calls nothing, so
the form is a GET; a model the server does not serve is the API's 404 message in the page.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from rungway.api.auth import Caller
from rungway.api.registry import QueryParam
from rungway.domain.keys import Role
from rungway.errors import NotFound
from rungway.gateway.routes import STATE
from rungway.models.pages import pages
from rungway.models.planner import ModelsPlanner
from rungway.models.routes.install import CHOOSER
from rungway.models.routes.views import explain, routes_json, when_text
from rungway.web.render import current_session, render

__all__ = ["ROUTES_PAGE", "parse_tags"]

ROUTES_PAGE = "/ui/models/routes"
_PARAMS = [
    QueryParam("workload", "whose routes (an admin names one; others see their own)", max_length=64),
    QueryParam("model", "explain: the model the call asks for", max_length=200),
    QueryParam("user", "explain: the end user", max_length=200),
    QueryParam("tags", "explain: tags as k=v,k2=v2", max_length=1000),
    QueryParam("prompt_tokens", "explain: the prompt's tokens", type="integer", minimum=0, maximum=100_000_000),
]


def parse_tags(text: str) -> dict[str, str]:
    """`k=v,k2=v2` (as the x-rungway-tags header); pairs without `=` are ignored."""
    tags: dict[str, str] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        if sep and name.strip():
            tags[name.strip()[:64]] = value.strip()[:200]
    return dict(list(tags.items())[:64])


def _workload(caller: Caller, asked: str | None) -> str | None:
    if caller.role is Role.ADMIN:
        return asked or None
    if asked and asked != caller.workload:
        raise NotFound(f"No workload {asked!r} that this key may see.", code="workload_not_found")
    return caller.workload


@pages.page(ROUTES_PAGE, title="Routes", nav="Routes", order=60, params=_PARAMS)
async def routes_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    state = request.app[STATE]
    chooser = state.slots.get(CHOOSER)
    if chooser is None:
        raise NotFound("Routing is not installed on this server.", code="not_found")
    query = request.query
    workload = _workload(caller, query.get("workload"))
    workloads = [workload] if workload is not None else sorted(state.config.workloads)
    data = routes_json(chooser, workloads, caller.role is Role.ADMIN)
    rules = [
        {"workload": w["workload"], **r, "when_text": when_text(r["when"])}
        for w in data["workloads"]
        for r in w["rules"]
    ]
    deployments = [d for m in data["models"] for d in m["deployments"]]
    form = {k: query.get(k, "") for k in ("model", "user", "tags", "prompt_tokens")}
    explained: dict[str, Any] | None = None
    problem: str | None = None
    if form["model"]:
        planner = state.route_planner if isinstance(state.route_planner, ModelsPlanner) else None
        found = explain(
            chooser,
            planner,
            workload,
            form["model"],
            user=form["user"] or None,
            tags=parse_tags(form["tags"]),
            prompt_tokens=int(form["prompt_tokens"] or 0),
        )
        if found.plan is None:
            problem = f"The model `{form['model']}` does not exist or you do not have access to it."
        else:
            explained = found.to_json(workload)
    return render(
        request,
        "models/routes.html",
        title="Routes",
        path=ROUTES_PAGE,
        admin=caller.role is Role.ADMIN,
        workload=workload,
        rules=rules,
        deployments=deployments,
        defaults=data["defaults"],
        form={**form, "workload": query.get("workload", "")},
        explained=explained,
        problem=problem,
    )
