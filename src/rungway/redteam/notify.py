"""Red-team alerts to the on-call webhook: each alert a stored run raised, sent through the alerts door.

`service.record_run` stores the alerts with the run (`redteam_alerts`: the rate rose, or a category
fails that did not before); this sends each one as a `redteam.<kind>` webhook event, claimed once
across replicas by its id. Without the alerts capability, or without a webhook, they stay listed
by `/api/redteam/alerts` and on the run's page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rungway.alerts.public import AlertEvent, alerts_of
from rungway.gateway.slots import Slots
from rungway.redteam.store import RunRecord

__all__ = ["alert_events", "send_alerts"]

CLAIM_TTL_S = 30 * 86400.0  # an alert id is sent at most once in this time


def alert_events(record: RunRecord, alerts: Sequence[Mapping[str, Any]]) -> list[AlertEvent]:
    """The webhook events for the alerts a run raised (the ones stored with `run_id` = the run's id)."""
    events = []
    for alert in alerts:
        if alert.get("run_id") != record.id:
            continue
        payload = {
            "type": f"redteam.{alert['kind']}",
            "workload": record.workload,
            "run_id": record.id,
            "previous_run_id": record.previous_run_id,
            "attack_success_rate": record.rate,
            "message": alert["message"],
        }
        events.append(AlertEvent(f"redteam.{alert['kind']}", f"redteam:{alert['id']}", payload))
    return events


async def send_alerts(slots: Slots, record: RunRecord, alerts: Sequence[Mapping[str, Any]]) -> int:
    """Send the run's alerts through the alerts capability; how many were handed to it (0 without one)."""
    sender = alerts_of(slots)
    if sender is None:
        return 0
    events = alert_events(record, alerts)
    for event in events:
        await sender.send(event, claim_ttl_s=CLAIM_TTL_S)
    return len(events)
