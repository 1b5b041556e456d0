"""The models capability's one door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

`install_models` composes the planner from its stages (`ports.py`) and hands it to the gateway as
its `RoutePlanner`; each stage's own subpackage builds its runtime from the configuration.
"""

from __future__ import annotations

from collections.abc import Mapping

from rungway.capability import Capability, Host, Installed
from rungway.models.pages import pages
from rungway.models.planner import ModelsPlanner
from rungway.models.ports import Resolution
from rungway.models.routes.api import router as routes_router
from rungway.models.routes.config import DEPLOYMENTS_SECTION, ROUTING_SECTION
from rungway.models.routes.install import install_routes

__all__ = ["CAPABILITY", "install_models"]


class _AsRequested:
    """No pins and no policy: a name means itself."""

    def resolve(self, workload: str | None, requested: str) -> Resolution:
        return Resolution(requested=requested, model=requested)


class _NoLifecycle:
    """No catalogue: every configured model is served as it is."""

    def admit(self, model: str, now: float) -> Mapping[str, str]:
        return {}


def install_models(host: Host) -> Installed:
    chooser = install_routes(host.state)
    planner = ModelsPlanner(_AsRequested(), _NoLifecycle(), chooser)
    return Installed(route_planner=planner)


CAPABILITY = Capability(
    name="models",
    install=install_models,
    sections=(DEPLOYMENTS_SECTION, ROUTING_SECTION),
    routers=(routes_router,),
    cli={"models": "rungway.models.commands:models_group"},
    migrations="rungway.models.migrations",
    checks=("rungway.models.routes.checks",),
    pages=(pages,),
)
"""Models: catalogue and lifecycle, pins and upgrades, routing and failover."""
