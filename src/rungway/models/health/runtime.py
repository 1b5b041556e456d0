"""Failover's runtime on a server: the health book (the gateway's attempt observer), the shared breakers
task, the incidents recorder (a listener and an after-call step) and the drill runner, built from
`failover:` and handed to `models/install.py` as what they add to the server (`Installed`).

Each provider gets its fault switch here: the provider's own (the simulator's), or, when
`failover.drills.fault_switches` is true, the provider wrapped in one (`providers/registry.py`).
"""

from __future__ import annotations

from rungway.alerts.public import AlertEvent, alerts_of
from rungway.capability import Host, Installed, PipelineExtension, StateKey
from rungway.gateway.state import GatewayState
from rungway.models.drills.runner import DrillRunner
from rungway.models.health.book import HealthBook
from rungway.models.health.config import FAILOVER_SECTION
from rungway.models.health.sharing import SharedBreakers
from rungway.models.incidents.recorder import IncidentRecorder
from rungway.models.incidents.store import IncidentRow
from rungway.providers.faults import FaultSwitch
from rungway.providers.registry import fault_switch
from rungway.settings.config import ModelRoute

__all__ = ["DRILLS", "HEALTH", "INCIDENTS", "install_failover", "known_deployments"]

HEALTH = StateKey[HealthBook]("models.health")
INCIDENTS = StateKey[IncidentRecorder]("models.incidents")
DRILLS = StateKey[DrillRunner]("models.drills")


def known_deployments(state: GatewayState, book: HealthBook) -> dict[str, ModelRoute]:
    """Every deployment this server knows: the core `models:` entries and any a route plan has tried."""
    return {**book.routes, **state.config.models}


async def announce(state: GatewayState, row: IncidentRow, cooldown_s: float) -> None:
    """An incident opened: one alert through the alerts door (claimed once across replicas: a circuit that
    opens on several replicas at once is one alert), when the alerts capability is installed."""
    alerts = alerts_of(state.slots)
    if alerts is None:
        return
    payload = {
        "event": "model.incident_opened",
        "incident": row.id,
        "deployment": row.deployment,
        "opened_at": row.opened_at,
        "cause": row.cause,
        "calls": row.calls,
        "failed_over": row.failed_over,
        "lost": row.lost,
    }
    key = f"model.incident_opened:{row.deployment}:{int(row.opened_at // max(1.0, cooldown_s))}"
    await alerts.send(AlertEvent("model.incident_opened", key, payload), claim_ttl_s=max(60.0, cooldown_s))


def install_failover(host: Host) -> Installed:
    state = host.state
    settings = state.config.section(FAILOVER_SECTION)
    book = HealthBook(settings.breaker)
    for route in state.config.models.values():
        book.know(route)  # known from the start, so another replica's open circuit is adopted before a try
    switches: dict[str, FaultSwitch] = {}
    for name, provider in list(state.providers.items()):
        served, switch = fault_switch(provider, settings.drills.fault_switches)
        state.providers[name] = served
        if switch is not None:
            switches[name] = switch
    recorder = IncidentRecorder(state.engine, on_opened=lambda row: announce(state, row, settings.breaker.cooldown_s))
    book.listen(recorder.on_transition)
    shared = SharedBreakers(book, state.counters)
    drills = DrillRunner(state.engine, recorder, switches, lambda: known_deployments(state, book))
    state.slots[HEALTH] = book
    state.slots[INCIDENTS] = recorder
    state.slots[DRILLS] = drills
    return Installed(
        attempt_observers=[book],
        pipeline=[PipelineExtension("failover", after_call=[recorder.after_call])],
        on_startup=[recorder.start, shared.start],
        on_cleanup=[drills.stop, shared.stop, recorder.stop],
    )
