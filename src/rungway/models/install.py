"""The models capability's one door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

`install_models` composes the planner from its stages (`ports.py`) and hands it to the gateway as
its `RoutePlanner`; each part (pins, shadow, ...) builds its own runtime in its `install.py`, and
what they add to the server is joined here.
"""

from __future__ import annotations

from collections.abc import Mapping

from rungway.capability import Capability, Host, Installed
from rungway.models.catalogue import api as catalogue_api
from rungway.models.catalogue.config import CATALOGUE_SECTION
from rungway.models.catalogue.install import install_catalogue
from rungway.models.catalogue.view import RoutableCatalogue
from rungway.models.drills.api import router as drills_router
from rungway.models.health.api import router as health_router
from rungway.models.health.config import FAILOVER_SECTION
from rungway.models.health.runtime import HEALTH, install_failover
from rungway.models.incidents.api import router as incidents_router
from rungway.models.pages import pages
from rungway.models.pins.api import router as pins_router
from rungway.models.pins.config import PINNING_SECTION
from rungway.models.pins.install import install_pins
from rungway.models.pins.ports import CatalogueLookup
from rungway.models.planner import ModelsPlanner
from rungway.models.ports import LifecycleGate
from rungway.models.routes.api import router as routes_router
from rungway.models.routes.config import DEPLOYMENTS_SECTION, ROUTING_SECTION
from rungway.models.routes.install import install_routes
from rungway.models.shadow import api as shadow_api
from rungway.models.shadow.config import SHADOW_SECTION
from rungway.models.shadow.install import install_shadow
from rungway.models.upgrades.api import router as upgrades_router

__all__ = ["CAPABILITY", "build_models", "install_models", "joined"]


class _NoLifecycle:
    """No catalogue: every configured model is served as it is."""

    def admit(self, model: str, now: float) -> Mapping[str, str]:
        return {}


def joined(*parts: Installed) -> Installed:
    """What several parts add to a server, as one `Installed` (start-ups in order, clean-ups reversed)."""
    return Installed(
        pipeline=[p for part in parts for p in part.pipeline],
        writers=[w for part in parts for w in part.writers],
        budget_holders=[h for part in parts for h in part.budget_holders],
        on_startup=[h for part in parts for h in part.on_startup],
        on_cleanup=[h for part in reversed(parts) for h in part.on_cleanup],
        attempt_observers=[o for part in parts for o in part.attempt_observers],
    )


def install_models(host: Host) -> Installed:
    catalogue = install_catalogue(host)  # first: its view is loaded before the pins resolve against it
    first = Installed(on_startup=[catalogue.on_startup], on_cleanup=[catalogue.on_cleanup])
    routable = RoutableCatalogue(catalogue.view, host.state.config.models)
    return build_models(host, routable, catalogue.lifecycle, first)


def build_models(
    host: Host, catalogue: CatalogueLookup | None, lifecycle: LifecycleGate | None = None, *before: Installed
) -> Installed:
    """The planner from its stages, and what each part adds to the server."""
    resolver, pins = install_pins(host, catalogue)
    shadow = install_shadow(host)
    failover = install_failover(host)
    book = host.state.slots[HEALTH]
    chooser = install_routes(host.state, book)  # least-latency reads the health book
    for candidate in chooser.table.deployments.values():
        book.know(candidate.route)  # every routed deployment, so another replica's open circuit is adopted
    planner = ModelsPlanner(resolver, lifecycle or _NoLifecycle(), chooser)
    parts = joined(*before, pins, shadow, failover)
    return Installed(
        route_planner=planner,
        pipeline=parts.pipeline,
        writers=parts.writers,
        on_startup=parts.on_startup,
        on_cleanup=parts.on_cleanup,
        attempt_observers=parts.attempt_observers,
    )


CAPABILITY = Capability(
    name="models",
    install=install_models,
    sections=(
        CATALOGUE_SECTION,
        PINNING_SECTION,
        SHADOW_SECTION,
        DEPLOYMENTS_SECTION,
        ROUTING_SECTION,
        FAILOVER_SECTION,
    ),
    routers=(
        catalogue_api.router,
        pins_router,
        upgrades_router,
        shadow_api.router,
        routes_router,
        health_router,
        incidents_router,
        drills_router,
    ),
    cli={
        "models": "rungway.models.commands:models_group",
        "incidents": "rungway.models.incidents.cli:incidents_group",
        "drill": "rungway.models.drills.cli:drill_group",
    },
    migrations="rungway.models.migrations",
    checks=(
        "rungway.models.catalogue.checks",
        "rungway.models.pins.checks",
        "rungway.models.routes.checks",
        "rungway.models.drills.checks",
    ),
    pages=(pages,),
)
"""Models: catalogue and lifecycle, pins and upgrades, routing and failover."""
