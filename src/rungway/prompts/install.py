"""The prompt library's one door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

It declares what the core wires: the `prompts:` section, the `prompts` migrations branch, the
/api/prompts router and the `rungway prompts` command; `install_prompts` builds the in-memory
catalog a server resolves prompt references from (`state.slots[CATALOG]`), loaded at start and
refreshed every `prompts.refresh_s`.
"""

from __future__ import annotations

import asyncio

from rungway.capability import Capability, Host, Installed
from rungway.prompts import usage_api
from rungway.prompts.api import router
from rungway.prompts.catalog import CATALOG, PromptCatalog
from rungway.prompts.config import PROMPTS_SECTION
from rungway.prompts.hooks import hooks_of
from rungway.prompts.pages import pages
from rungway.prompts.policy_api import policy_router
from rungway.prompts.steps import prompt_pipeline

__all__ = ["CAPABILITY", "install_prompts"]


def install_prompts(host: Host) -> Installed:
    """The catalog: loaded before the server serves, refreshed in the background, stopped at shutdown."""
    state = host.state
    settings = state.config.section(PROMPTS_SECTION)
    catalog = PromptCatalog(state.engine, settings.refresh_s)
    state.slots[CATALOG] = catalog
    hooks_of(state.slots, state.engine)  # other capabilities register listeners and guards on it in their install

    async def start() -> None:
        await asyncio.to_thread(catalog.load)
        catalog.start()

    return Installed(
        pipeline=[prompt_pipeline(catalog)],
        on_startup=[start],
        on_cleanup=[catalog.stop],
    )


CAPABILITY = Capability(
    name="prompts",
    install=install_prompts,
    sections=(PROMPTS_SECTION,),
    routers=(router, policy_router, usage_api.router),
    cli={"prompts": "rungway.prompts.commands:prompts_group"},
    migrations="rungway.prompts.migrations",
    checks=("rungway.prompts.checks",),
    pages=(pages,),
)
"""The prompt library: versioned, reviewed prompts promoted by label; `prompts:`, /api/prompts, `rungway prompts`."""
