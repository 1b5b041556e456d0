"""The approval view and its decisions: a candidate version beside the version in production.

It shows what a reviewer needs next to the decision: the candidate's diff against the current
production version, the reviews so far and what the policy still needs, and the evidence: the
production version's calls, errors, median latency and cost over the last 7 days from the request
log, and the evaluation results (a plain line while no evaluation capability is installed). Its forms
are the API's `POST /api/prompts/{name}/versions/{version}/reviews` and
`POST /api/prompts/{name}/labels/{label}`, through the same service functions and policy, so a
self-approval or an unapproved move into a protected label is refused here with the API's message.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import Engine

from rungway.api.registry import QueryParam
from rungway.domain.keys import KeyKind, Role
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.routes import STATE
from rungway.prompts.api import actor_for
from rungway.prompts.catalog import CATALOG
from rungway.prompts.diff import diff_versions
from rungway.prompts.model import PromptVersion
from rungway.prompts.pages import pages
from rungway.prompts.pages.forms import form_fields
from rungway.prompts.pages.scope import PROMPTS_PAGE, locate, policy_config, prompt_url
from rungway.prompts.pages.views import PRODUCTION, change_rows, may_change
from rungway.prompts.service import approvers_of, get_version, move_label, review, reviews
from rungway.prompts.usage import VersionUsage, prompt_usage
from rungway.web.render import current_session, redirect, render

__all__ = ["EVALUATION_MISSING", "LABEL_FORM", "REVIEW_FORM", "USAGE_SINCE", "refresh_catalog"]

USAGE_SINCE = "7d"
EVALUATION_MISSING = "No evaluation runs: the evaluation capability is not installed."

_WORKLOAD = QueryParam("workload", "the prompt's workload (admin; empty: shared)", max_length=64)
_VERSION = "{version:[0-9]{1,9}}"
REVIEW_FORM = {"decision": 8, "comment": 4000, "workload": 64}
LABEL_FORM = {"label": 64, "version": 9, "reason": 1000, "workload": 64}


@pages.page(f"{PROMPTS_PAGE}/{{name}}/versions/{_VERSION}/review", title="Review a version", params=[_WORKLOAD])
async def approval_view(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    state = request.app[STATE]
    engine = state.engine
    name = request.match_info["name"]
    number = int(request.match_info["version"])
    view = await asyncio.to_thread(locate, engine, caller, name, request.query.get("workload"))
    candidate = await asyncio.to_thread(get_version, engine, workload=view, name=name, version=number)
    production = await _labelled(engine, view, name, PRODUCTION)
    decisions = await asyncio.to_thread(reviews, engine, workload=view, name=name, version=number)
    policy = policy_config(request).policy_for(candidate.workload)
    approvers, rejecters = approvers_of(decisions, candidate.author)
    diff = diff_versions(production, candidate) if production is not None and production.version != number else None
    usage = None
    if production is not None:  # the reader's calls: a workload key's own, the admin's of the prompt's scope
        scope = candidate.workload if caller.role is Role.ADMIN else caller.workload
        report = await asyncio.to_thread(prompt_usage, engine, name, workload=scope, since=USAGE_SINCE)
        usage = next((u for u in report.versions if u.version == production.version), None)
        usage = usage or VersionUsage(production.version, 0, 0, 0, 0, 0, None, None)
    return render(
        request,
        "prompts/review.html",
        title=f"Review {name} version {number}",
        v=candidate,
        production=production,
        diff=diff,
        diff_rows=change_rows(diff),
        reviews=decisions[::-1],
        approvers=approvers,
        rejecters=rejecters,
        approvals_required=policy.approvals_required,
        protected=policy.is_protected(PRODUCTION),
        usage=usage,
        calls_url=_calls_url(name, production.version if production else None, candidate.workload),
        evaluation=EVALUATION_MISSING,
        url=prompt_url,
        can_review=may_change(caller.role, caller.workload, candidate.workload) and caller.kind is KeyKind.PERSON,
        can_move=may_change(caller.role, caller.workload, candidate.workload),
    )


async def _labelled(engine: Engine, view: str | None, name: str, label: str) -> PromptVersion | None:
    try:
        return await asyncio.to_thread(get_version, engine, workload=view, name=name, label=label)
    except NotFound:
        return None


async def refresh_catalog(request: web.Request) -> None:
    """After a change, this server's catalog at once (as the API does); other replicas within their refresh."""
    catalog = request.app[STATE].slots.get(CATALOG)
    if catalog is not None:
        await catalog.refresh()


def _calls_url(name: str, version: int | None, workload: str | None) -> str:
    query = {"prompt": f"{name}@{version}", "since": "7d", **({"workload": workload} if workload else {})}
    return f"/ui/requests?{urlencode(query)}"


@pages.page(f"{PROMPTS_PAGE}/{{name}}/versions/{_VERSION}/reviews", title="Review", method="POST", role=Role.DEVELOPER)
async def review_form(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    state = request.app[STATE]
    name = request.match_info["name"]
    number = int(request.match_info["version"])
    v = form_fields(await request.post(), REVIEW_FORM)
    if v["decision"] not in ("approve", "reject"):
        raise InvalidRequest("decision must be approve or reject", param="decision")
    view = await asyncio.to_thread(locate, state.engine, caller, name, v["workload"] or None)
    done = await asyncio.to_thread(
        review,
        state.engine,
        policy_config(request),
        workload=view,
        name=name,
        version=number,
        decision=v["decision"],
        comment=v["comment"],
        actor=await actor_for(request),
    )
    return redirect(prompt_url(name, done.workload, "versions", number, "review") + "#reviews")


@pages.page(f"{PROMPTS_PAGE}/{{name}}/labels", title="Move a label", method="POST", role=Role.DEVELOPER)
async def label_form(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    state = request.app[STATE]
    name = request.match_info["name"]
    v = form_fields(await request.post(), LABEL_FORM)
    if not (v["version"].isascii() and v["version"].isdigit()):
        raise InvalidRequest("version must be a version number, e.g. 3", param="version")
    if not v["label"]:
        raise InvalidRequest("label is required, e.g. production or staging", param="label")
    view = await asyncio.to_thread(locate, state.engine, caller, name, v["workload"] or None)
    moved = await asyncio.to_thread(
        move_label,
        state.engine,
        policy_config(request),
        workload=view,
        name=name,
        label=v["label"],
        version=int(v["version"]),
        reason=v["reason"],
        actor=await actor_for(request),
    )
    await refresh_catalog(request)  # the label serves from this gateway at once
    return redirect(prompt_url(name, moved.workload) + "#label-history")
