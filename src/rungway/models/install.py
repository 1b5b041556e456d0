"""The models capability's one door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

`install_models` composes the planner from its stages (`ports.py`) and hands it to the gateway as
its `RoutePlanner`; each stage's own subpackage builds its runtime from the configuration.
"""

from __future__ import annotations

from collections.abc import Mapping

from rungway.capability import CallContext, Capability, Host, Installed, RoutePlan
from rungway.models.pages import pages
from rungway.models.planner import ModelsPlanner
from rungway.models.ports import Resolution
from rungway.models.shadow import api as shadow_api
from rungway.models.shadow.config import SHADOW_SECTION
from rungway.models.shadow.install import install_shadow

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
    shadow = install_shadow(host)
    return Installed(
        route_planner=planner,
        pipeline=[*shadow.pipeline],
        writers=[*shadow.writers],
        on_startup=[*shadow.on_startup],
        on_cleanup=[*shadow.on_cleanup],
    )


CAPABILITY = Capability(
    name="models",
    install=install_models,
    sections=(SHADOW_SECTION,),
    routers=(shadow_api.router,),
    cli={"models": "rungway.models.commands:models_group"},
    migrations="rungway.models.migrations",
    pages=(pages,),
)
"""Models: catalogue and lifecycle, pins and upgrades, routing and failover."""
