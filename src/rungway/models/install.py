"""The models capability's one door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

`install_models` composes the planner from its stages (`ports.py`) and hands it to the gateway as
its `RoutePlanner`; each stage's own subpackage builds its runtime from the configuration.
"""

from __future__ import annotations

from collections.abc import Mapping

from rungway.capability import CallContext, Capability, Host, Installed, RoutePlan
from rungway.models.drills.api import router as drills_router
from rungway.models.health.api import router as health_router
from rungway.models.health.config import FAILOVER_SECTION
from rungway.models.health.runtime import failover_parts
from rungway.models.incidents.api import router as incidents_router
from rungway.models.pages import pages
from rungway.models.planner import ModelsPlanner
from rungway.models.ports import Resolution

__all__ = ["CAPABILITY", "install_models"]


class _AsRequested:
    """No pins and no policy: a name means itself."""

    def resolve(self, workload: str | None, requested: str) -> Resolution:
        return Resolution(requested=requested, model=requested)


class _NoLifecycle:
    """No catalogue: every configured model is served as it is."""

    def admit(self, model: str, now: float) -> Mapping[str, str]:
        return {}


class _NoRoutes:
    """No routes: each model goes to its one `models:` entry."""

    def choose(self, ctx: CallContext, model: str) -> RoutePlan | None:
        return None


def install_models(host: Host) -> Installed:
    planner = ModelsPlanner(_AsRequested(), _NoLifecycle(), _NoRoutes())
    failover = failover_parts(host)
    return Installed(
        route_planner=planner,
        attempt_observers=[failover.book],
        pipeline=[failover.pipeline],
        on_startup=failover.startups,
        on_cleanup=failover.cleanups,
    )


CAPABILITY = Capability(
    name="models",
    install=install_models,
    sections=(FAILOVER_SECTION,),
    routers=(health_router, incidents_router, drills_router),
    cli={"incidents": "rungway.models.incidents.cli:incidents_group", "drill": "rungway.models.drills.cli:drill_group"},
    migrations="rungway.models.migrations",
    checks=("rungway.models.drills.checks",),
    pages=(pages,),
)
"""Models: catalogue and lifecycle, pins and upgrades, routing and failover."""
