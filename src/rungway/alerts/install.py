"""The alerts capability's one door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

It owns `alerts:` and puts one `Alerts` sender on `state.slots[ALERTS]` (`public.py`); budgets,
the model catalogue's sunset alerts and others look it up there when they send.
"""

from __future__ import annotations

from rungway.alerts.config import ALERTS_SECTION
from rungway.alerts.public import ALERTS
from rungway.alerts.sender import Alerts
from rungway.capability import Capability, Host, Installed

__all__ = ["CAPABILITY", "install_alerts"]


def install_alerts(host: Host) -> Installed:
    state = host.state
    alerts = Alerts(state.config.section(ALERTS_SECTION), state.counters)
    state.slots[ALERTS] = alerts
    return Installed(on_cleanup=[alerts.close])


CAPABILITY = Capability(name="alerts", install=install_alerts, sections=(ALERTS_SECTION,))
"""Webhook alerts for every capability: `alerts:`, the sender on `state.slots[ALERTS]`."""
