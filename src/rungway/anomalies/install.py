"""The anomaly-detection capability's door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

It declares the `anomalies:` section, the `anomalies` migrations branch (an0001...), `/api/anomalies*`, the
`rungway anomalies` command and the dashboard page; `install_anomalies` runs the watcher in the background
while the server runs (when `anomalies.enabled` or a workload turns it on).
"""

from __future__ import annotations

from rungway.anomalies.api import router
from rungway.anomalies.config import ANOMALIES_SECTION
from rungway.anomalies.pages import pages
from rungway.anomalies.watch import WATCHER, AnomalyWatcher
from rungway.capability import Background, Capability, Host, Installed

__all__ = ["CAPABILITY", "install_anomalies"]


def install_anomalies(host: Host) -> Installed:
    state = host.state
    config = state.config.section(ANOMALIES_SECTION)
    watcher = AnomalyWatcher(state.engine, config, state.slots)
    state.slots[WATCHER] = watcher
    return Installed(background=[Background("rungway-anomaly-watcher", watcher.run_forever)])


CAPABILITY = Capability(
    name="anomalies",
    install=install_anomalies,
    sections=(ANOMALIES_SECTION,),
    routers=(router,),
    cli={"anomalies": "rungway.anomalies.cli:anomalies_group"},
    migrations="rungway.anomalies.migrations",
    pages=(pages,),
)
"""Anomaly detection: `anomalies:`, /api/anomalies, the background watcher, `rungway anomalies`."""
