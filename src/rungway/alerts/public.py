"""The alerts door, the one module of `rungway.alerts` other capabilities import.

A capability finds the server's sender at call time, not at install (install order is the
entry-point names' order; `alerts` sorts first today, but a lookup at call time needs no order):

    alerts = alerts_of(state.slots)        # None when the alerts capability is not installed
    if alerts is not None:
        await alerts.send(AlertEvent("model.sunset_approaching", key, payload), claim_ttl_s=ttl)

`send` claims the alert once across replicas (the counters backend), POSTs it in the background
with retries to `url` or `alerts.webhook_url`, and reports the outcome to `on_result`.
"""

from __future__ import annotations

from rungway.alerts.config import ALERTS_SECTION, AlertSettings
from rungway.alerts.sender import AlertEvent, AlertResult, Alerts
from rungway.alerts.urls import mask_urls, masked_url
from rungway.gateway.slots import Slots, StateKey

__all__ = [
    "ALERTS",
    "ALERTS_SECTION",
    "AlertEvent",
    "AlertResult",
    "AlertSettings",
    "Alerts",
    "alerts_of",
    "mask_urls",
    "masked_url",
]

ALERTS = StateKey[Alerts]("alerts.sender")
"""Where the alerts capability keeps the server's sender (`state.slots[ALERTS]`)."""


def alerts_of(slots: Slots) -> Alerts | None:
    """The server's sender, or None when the alerts capability is not installed."""
    return slots.get(ALERTS)
