"""The catalogue's part of the models capability's install: the view, the lifecycle gate, sunset alerts.

`models/install.py` calls `install_catalogue(host)` and hands the returned gate to the planner.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rungway.alerts.public import alerts_of
from rungway.capability import Hook, Host
from rungway.gateway.slots import StateKey
from rungway.models.catalogue.config import CATALOGUE_SECTION
from rungway.models.catalogue.lifecycle import CatalogueLifecycle
from rungway.models.catalogue.sunset import SunsetWatch
from rungway.models.catalogue.view import CATALOGUE, CatalogueView

__all__ = ["SUNSETS", "CatalogueRuntime", "install_catalogue"]

SUNSETS = StateKey[SunsetWatch]("models.catalogue.sunsets")


@dataclass(frozen=True, slots=True)
class CatalogueRuntime:
    """What the catalogue adds to a server: its lifecycle gate and its start-up and clean-up hooks."""

    view: CatalogueView
    lifecycle: CatalogueLifecycle
    on_startup: Hook
    on_cleanup: Hook


def install_catalogue(host: Host) -> CatalogueRuntime:
    state = host.state
    settings = state.config.section(CATALOGUE_SECTION)
    view = CatalogueView(settings, state.engine)
    state.slots[CATALOGUE] = view
    lifecycle = CatalogueLifecycle(view, state.config.models)
    watch = SunsetWatch(state.engine, lifecycle.entry_for, lambda: alerts_of(state.slots), settings.sunset_alerts)
    state.slots[SUNSETS] = watch

    async def start() -> None:
        await asyncio.to_thread(view.load)
        view.start()
        watch.start()

    async def stop() -> None:
        await watch.stop()
        await view.stop()

    return CatalogueRuntime(view, lifecycle, start, stop)
