"""The red-team capability's door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

It declares the `redteam:` section, the `redteam` migrations branch (r0001...), `/api/redteam/*`, the
`rungway redteam` command, the evidence checks and the dashboard pages; `install_redteam` syncs the configured
schedules into the store and runs the scheduler in the background while the server runs.
"""

from __future__ import annotations

import asyncio

from rungway.capability import Background, Capability, Host, Installed
from rungway.redteam.api import router
from rungway.redteam.config import REDTEAM_SECTION
from rungway.redteam.pages import pages
from rungway.redteam.schedule import SCHEDULER, RedTeamScheduler, sync_config_schedules

__all__ = ["CAPABILITY", "install_redteam"]


def install_redteam(host: Host) -> Installed:
    state = host.state
    config = state.config.section(REDTEAM_SECTION)
    server = state.config.server
    scheduler = RedTeamScheduler(state.engine, config, f"http://{server.host}:{server.port}", slots=state.slots)
    state.slots[SCHEDULER] = scheduler

    async def start() -> None:
        await asyncio.to_thread(sync_config_schedules, state.engine, config)

    return Installed(
        on_startup=[start],
        background=[Background("rungway-redteam-scheduler", scheduler.run_forever)],
        on_cleanup=[scheduler.revoke_keys],  # after the scheduler is stopped (background tasks stop first)
    )


CAPABILITY = Capability(
    name="redteam",
    install=install_redteam,
    sections=(REDTEAM_SECTION,),
    routers=(router,),
    cli={"redteam": "rungway.redteam.cli:redteam_group"},
    migrations="rungway.redteam.migrations",
    checks=("rungway.redteam.checks",),
    pages=(pages,),
)
"""Red teaming: `redteam:`, /api/redteam/*, scheduled runs, `rungway redteam`."""
