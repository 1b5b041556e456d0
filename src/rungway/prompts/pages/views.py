"""The prompt pages that read: the list, one prompt (versions, label history, reviews), one version.

Read with the functions `/api/prompts` uses (`list_prompts`, `list_versions`, `get_version`,
`label_moves`, `reviews`, `diff_versions`) in the caller's workload view (`scope.py`). A version's
messages are shown as text (escaped by the templates, never rendered as HTML) with its variables,
model and parameters, and compared with any other version as a unified diff: by default with the
version labelled production (or, for that version itself, the one before it).
"""

from __future__ import annotations

import asyncio

import orjson
from aiohttp import web

from rungway.api.registry import QueryParam
from rungway.domain.keys import Role
from rungway.gateway.routes import STATE
from rungway.prompts.diff import PromptDiff, diff_versions
from rungway.prompts.model import PromptVersion
from rungway.prompts.pages import pages
from rungway.prompts.pages.forms import content_text
from rungway.prompts.pages.scope import PROMPTS_PAGE, locate, policy_config, prompt_url, view_of
from rungway.prompts.service import get_version, label_moves, list_prompts, list_versions, reviews
from rungway.prompts.template import JsonValue
from rungway.web.render import current_session, render

__all__ = ["PRODUCTION", "change_rows", "default_base", "may_change"]

PRODUCTION = "production"
_WORKLOAD = QueryParam("workload", "the prompt's workload (admin; empty: shared)", max_length=64)
_VERSION_PARAMS = [
    _WORKLOAD,
    QueryParam("against", "the version to compare with", type="integer", minimum=1, maximum=999_999_999),
]


def may_change(role: Role, caller_workload: str | None, prompt_workload: str | None) -> bool:
    """Whether a key may create versions of, and move labels on, a prompt of this scope (the API's rule):
    a developer their own workload's; only the admin a shared prompt's."""
    if role is Role.ADMIN:
        return True
    return role is Role.DEVELOPER and prompt_workload is not None and prompt_workload == caller_workload


def default_base(version: int, versions: list[PromptVersion]) -> int | None:
    """The version a version is compared with unless asked: production's, or for production itself
    (or when nothing is labelled production) the version before it (the first version: the next one)."""
    production = next((v.version for v in versions if PRODUCTION in v.labels), None)
    if production is not None and production != version:
        return production
    older = [v.version for v in versions if v.version < version]
    newer = [v.version for v in versions if v.version > version]
    return max(older) if older else min(newer) if newer else None


@pages.page(PROMPTS_PAGE, title="Prompts", nav="Prompts", order=35, params=[_WORKLOAD])
async def prompt_list(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    view = view_of(caller, request.query.get("workload"))
    rows = await asyncio.to_thread(list_prompts, request.app[STATE].engine, workload=view)
    admin = caller.role is Role.ADMIN
    return render(
        request,
        "prompts/list.html",
        title="Prompts",
        rows=rows,
        url=prompt_url,
        query={"workload": request.query.get("workload", "")},
        fixed_workload=None if admin else caller.workload,
        can_create=caller.role.allows(Role.DEVELOPER),
        admin=admin,
        form={"name": "", "workload": "" if admin else caller.workload or "", "content": "", "message": ""},
    )


@pages.page(f"{PROMPTS_PAGE}/{{name}}", title="Prompt", params=[_WORKLOAD])
async def prompt_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    engine = request.app[STATE].engine
    name = request.match_info["name"]
    view = await asyncio.to_thread(locate, engine, caller, name, request.query.get("workload"))
    latest = await asyncio.to_thread(get_version, engine, workload=view, name=name)
    versions, moves, decisions = await asyncio.gather(
        asyncio.to_thread(list_versions, engine, workload=view, name=name),
        asyncio.to_thread(label_moves, engine, workload=view, name=name),
        asyncio.to_thread(reviews, engine, workload=view, name=name),
    )
    policy = policy_config(request).policy_for(latest.workload)
    labels = sorted({label for v in versions for label in v.labels})
    return render(
        request,
        "prompts/prompt.html",
        title=f"Prompt {name}",
        prompt=latest,
        versions=versions,
        version_options=[(str(v.version), f"v{v.version}") for v in versions] or [(str(latest.version), "")],
        moves=moves,
        reviews=decisions[::-1],
        labels=labels,
        protected=sorted(policy.protected_labels),
        approvals_required=policy.approvals_required,
        url=prompt_url,
        can_change=may_change(caller.role, caller.workload, latest.workload),
        form={"content": content_text(latest.content), "message": ""},
    )


def _pretty(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def _short(value: JsonValue) -> str:
    return "—" if value is None else value if isinstance(value, str) else orjson.dumps(value).decode()


def change_rows(diff: PromptDiff | None) -> list[tuple[str, str, str]]:
    """The diff's changes other than message text, as (what, before, after) text for a table."""
    if diff is None:
        return []
    rows = [(f"variable {name}", "—", "added") for name in diff.variables_added]
    rows += [(f"variable {name}", "declared", "removed") for name in diff.variables_removed]
    rows += [(f"variable {c.name}", _short(c.before), _short(c.after)) for c in diff.variables_changed]
    if diff.model is not None:
        rows.append(("model", _short(diff.model.before), _short(diff.model.after)))
    rows += [(f"parameters.{c.name}", _short(c.before), _short(c.after)) for c in diff.parameters]
    return rows


@pages.page(
    f"{PROMPTS_PAGE}/{{name}}/versions/{{version:[0-9]{{1,9}}}}", title="Prompt version", params=_VERSION_PARAMS
)
async def version_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    engine = request.app[STATE].engine
    name = request.match_info["name"]
    number = int(request.match_info["version"])
    view = await asyncio.to_thread(locate, engine, caller, name, request.query.get("workload"))
    shown = await asyncio.to_thread(get_version, engine, workload=view, name=name, version=number)
    versions = await asyncio.to_thread(list_versions, engine, workload=view, name=name)
    asked = request.query.get("against")
    against = int(asked) if asked else default_base(number, versions)
    base = None
    if against is not None:
        base = await asyncio.to_thread(get_version, engine, workload=view, name=name, version=against)
    decisions = await asyncio.to_thread(reviews, engine, workload=view, name=name, version=number)
    diff = diff_versions(base, shown) if base is not None else None
    return render(
        request,
        "prompts/version.html",
        title=f"{name} version {number}",
        v=shown,
        base=base,
        diff=diff,
        diff_rows=change_rows(diff),
        versions=versions,
        reviews=decisions[::-1],
        parameters=_pretty(shown.content.parameters.to_json()) if shown.content.parameters.to_json() else "",
        url=prompt_url,
    )
