"""The models capability's one door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

`install_models` composes the planner from its stages (`ports.py`) and hands it to the gateway as
its `RoutePlanner`; each stage's own subpackage builds its runtime from the configuration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from rungway.capability import Capability, Host, Installed
from rungway.models.pages import pages
from rungway.models.pins.api import router as pins_router
from rungway.models.pins.book import PinBook
from rungway.models.pins.config import PINNING_SECTION
from rungway.models.pins.ports import CatalogueLookup
from rungway.models.pins.resolver import PinResolver
from rungway.models.pins.service import PINS, PinService
from rungway.models.pins.store import PinStore
from rungway.models.planner import ModelsPlanner
from rungway.models.routes.api import router as routes_router
from rungway.models.routes.config import DEPLOYMENTS_SECTION, ROUTING_SECTION
from rungway.models.routes.install import install_routes
from rungway.models.upgrades.api import router as upgrades_router

__all__ = ["CAPABILITY", "build_models", "install_models"]


class _NoLifecycle:
    """No catalogue: every configured model is served as it is."""

    def admit(self, model: str, now: float) -> Mapping[str, str]:
        return {}


def install_models(host: Host) -> Installed:
    return build_models(host, catalogue=None)  # the catalogue slice's CatalogueView once merged


def build_models(host: Host, catalogue: CatalogueLookup | None) -> Installed:
    """The planner from its stages, the pins book (loaded at start, refreshed in the background)."""
    state = host.state
    pinning = state.config.section(PINNING_SECTION)
    book = PinBook(pinning, PinStore(state.engine, pinning))
    state.slots[PINS] = PinService(PinStore(state.engine, pinning), book, pinning)
    chooser = install_routes(state)  # the failover slice's HealthView goes here (least-latency) once merged
    planner = ModelsPlanner(PinResolver(catalogue, book, pinning), _NoLifecycle(), chooser)

    async def start_pins() -> None:
        await asyncio.to_thread(book.load)
        book.start()

    return Installed(route_planner=planner, on_startup=[start_pins], on_cleanup=[book.stop])


CAPABILITY = Capability(
    name="models",
    install=install_models,
    sections=(PINNING_SECTION, DEPLOYMENTS_SECTION, ROUTING_SECTION),
    routers=(pins_router, upgrades_router, routes_router),
    cli={"models": "rungway.models.commands:models_group"},
    migrations="rungway.models.migrations",
    checks=("rungway.models.pins.checks", "rungway.models.routes.checks"),
    pages=(pages,),
)
"""Models: catalogue and lifecycle, pins and upgrades, routing and failover."""
