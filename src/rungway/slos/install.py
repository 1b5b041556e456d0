"""The SLO capability's door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

It declares the `slos:` section, the `slos` migrations branch (slo0001...), `/api/slos/*`, the `rungway slo`
command, the `slos` evidence check and the dashboard pages; `install_slos` syncs the configured SLOs into the
store, runs the evaluation loop in the background while the server runs, and adds the SLO gauges to `/metrics`.
"""

from __future__ import annotations

import asyncio

from rungway.capability import Background, Capability, Host, Installed
from rungway.slos.api import router
from rungway.slos.config import SLOS_SECTION
from rungway.slos.metrics import SloCollector
from rungway.slos.monitor import MONITOR, SloMonitor
from rungway.slos.pages import pages
from rungway.slos.service import sync_config

__all__ = ["CAPABILITY", "MONITOR", "install_slos"]


def install_slos(host: Host) -> Installed:
    state = host.state
    config = state.config.section(SLOS_SECTION)
    monitor = SloMonitor(state.engine, config, state.slots)
    state.slots[MONITOR] = monitor
    state.metrics.registry.register(SloCollector(lambda: dict(monitor.latest)))

    async def start() -> None:
        await asyncio.to_thread(sync_config, state.engine, config)

    return Installed(on_startup=[start], background=[Background("rungway-slo-monitor", monitor.run_forever)])


CAPABILITY = Capability(
    name="slos",
    install=install_slos,
    sections=(SLOS_SECTION,),
    routers=(router,),
    cli={"slo": "rungway.slos.cli:slo_group"},
    migrations="rungway.slos.migrations",
    checks=("rungway.slos.checks",),
    pages=(pages,),
)
"""SLOs: `slos:`, /api/slos/*, burn-rate alerts, `rungway slo`."""
