"""The models capability's one door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

`install_models` composes the planner from its stages (`ports.py`) and hands it to the gateway as
its `RoutePlanner`; each stage's own subpackage builds its runtime from the configuration.
"""

from __future__ import annotations

from rungway.capability import CallContext, Capability, Host, Installed, RoutePlan
from rungway.models.catalogue import api as catalogue_api
from rungway.models.catalogue.config import CATALOGUE_SECTION
from rungway.models.catalogue.install import install_catalogue
from rungway.models.pages import pages
from rungway.models.planner import ModelsPlanner
from rungway.models.ports import Resolution

__all__ = ["CAPABILITY", "install_models"]


class _AsRequested:
    """No pins and no policy: a name means itself."""

    def resolve(self, workload: str | None, requested: str) -> Resolution:
        return Resolution(requested=requested, model=requested)


class _NoRoutes:
    """No routes: each model goes to its one `models:` entry."""

    def choose(self, ctx: CallContext, model: str) -> RoutePlan | None:
        return None


def install_models(host: Host) -> Installed:
    catalogue = install_catalogue(host)
    planner = ModelsPlanner(_AsRequested(), catalogue.lifecycle, _NoRoutes())
    return Installed(route_planner=planner, on_startup=[catalogue.on_startup], on_cleanup=[catalogue.on_cleanup])


CAPABILITY = Capability(
    name="models",
    install=install_models,
    sections=(CATALOGUE_SECTION,),
    routers=(catalogue_api.router,),
    cli={"models": "rungway.models.commands:models_group"},
    migrations="rungway.models.migrations",
    checks=("rungway.models.catalogue.checks",),
    pages=(pages,),
)
"""Models: catalogue and lifecycle, pins and upgrades, routing and failover."""
