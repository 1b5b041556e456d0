"""Creating a prompt version from the dashboard: the same use case as `POST /api/prompts`.

The form carries the prompt's name, its scope (the key's own workload; the admin names a workload or
makes it shared), the content as YAML or JSON (`forms.content_from_text`) and a commit message. The
same content twice is the same version (the service answers with the existing one), so the page
lands on that version either way.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from rungway.domain.keys import Role
from rungway.errors import InvalidRequest
from rungway.gateway.routes import STATE
from rungway.prompts.api import actor_for, announce_version
from rungway.prompts.model import valid_name
from rungway.prompts.pages import pages
from rungway.prompts.pages.forms import CONTENT_MAX_CHARS, content_from_text, form_fields
from rungway.prompts.pages.scope import PROMPTS_PAGE, prompt_url
from rungway.prompts.service import create_version
from rungway.web.render import current_session, redirect

__all__ = ["CREATE_FORM"]

CREATE_FORM = {"name": 128, "workload": 64, "shared": 8, "content": CONTENT_MAX_CHARS, "message": 1000}


@pages.page(PROMPTS_PAGE, title="Create a prompt version", method="POST", role=Role.DEVELOPER)
async def create_form(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    v = form_fields(await request.post(), CREATE_FORM)
    if not valid_name(v["name"]):
        raise InvalidRequest(
            "name must be letters, digits, '.', '_' or '-' (up to 128, starting with a letter or digit)", param="name"
        )
    shared = v["shared"] in ("on", "true", "1", "yes")
    if caller.role is Role.ADMIN:
        workload = None if shared else v["workload"] or None
        if not shared and workload is None:
            raise InvalidRequest("name the prompt's workload, or make it shared", param="workload")
    else:  # the key's own workload; the service refuses a shared prompt or another workload with the API's words
        workload = None if shared else v["workload"] or caller.workload
    content = content_from_text(v["content"])
    made = await asyncio.to_thread(
        create_version,
        request.app[STATE].engine,
        workload=workload,
        name=v["name"],
        content=content,
        message=v["message"],
        actor=await actor_for(request),
    )
    if made.created:
        await announce_version(request, made.version)
    return redirect(prompt_url(made.version.name, made.version.workload, "versions", made.version.version))
