"""Whose prompts a page reads and who acts on them: the API's workload rule, for the prompt pages.

A workload's key reads its own workload's prompts and the shared ones; the admin reads any workload's
(`?workload=` names it; without it a name is looked up among every workload's prompts). A prompt of
another workload is a 404 page, exactly the API's answer for a missing prompt, so a page never tells
one workload what another has.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from aiohttp import web
from sqlalchemy import Engine

from rungway.api.auth import Caller
from rungway.domain.keys import Role
from rungway.errors import NotFound
from rungway.gateway.routes import STATE
from rungway.prompts.config import PROMPTS_SECTION, PromptsConfig
from rungway.prompts.service import list_prompts

__all__ = ["PROMPTS_PAGE", "locate", "policy_config", "prompt_url", "view_of"]

PROMPTS_PAGE = "/ui/prompts"


def view_of(caller: Caller, asked: str | None) -> str | None:
    """The workload whose view a page reads: the admin's choice (None: every workload), else the key's own.

    A workload's key asking for another workload is answered as for a prompt that does not exist."""
    if caller.role is Role.ADMIN:
        return asked or None
    if asked and asked != caller.workload:
        raise NotFound(f"No prompt of workload {asked!r} that this key may see.", code="prompt_not_found")
    return caller.workload


def locate(engine: Engine, caller: Caller, name: str, asked: str | None) -> str | None:
    """The view in which `name` is read: the caller's (or the admin's `asked`); for the admin without
    one, the workload of the only prompt of that name (a shared prompt or one workload's)."""
    view = view_of(caller, asked)
    if view is not None or caller.role is not Role.ADMIN:
        return view
    workloads = sorted({p.workload or "" for p in list_prompts(engine, workload=None) if p.name == name})
    if len(workloads) > 1:
        raise NotFound(
            f"Workloads {', '.join(workloads)} each have a prompt named {name!r}: add ?workload= to choose one.",
            code="prompt_ambiguous",
        )
    return workloads[0] or None if workloads else None


def policy_config(request: web.Request) -> PromptsConfig:
    return request.app[STATE].config.section(PROMPTS_SECTION)


def prompt_url(name: str, workload: str | None, *parts: str | int, **query: str | int) -> str:
    """A prompt page's address: /ui/prompts/NAME[/PART...]?workload=W (no workload: a shared prompt)."""
    path = "/".join([PROMPTS_PAGE, quote(name, safe=""), *(quote(str(p), safe="") for p in parts)])
    params = {**({"workload": workload} if workload else {}), **{k: str(v) for k, v in query.items() if v != ""}}
    return f"{path}?{urlencode(params)}" if params else path
