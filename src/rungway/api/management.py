"""The management API's own capability: keys, workloads and the request log under /api/.

It adds routers only; what mounts them (authentication, roles, the OpenAPI document) is the API
framework in `api/routes.py`, shared with every other capability's routers.
"""

from __future__ import annotations

from rungway.api import keys, logs, workloads
from rungway.capability import Capability, Host, Installed

__all__ = ["MANAGEMENT_API"]


def _install(_host: Host) -> Installed:
    return Installed()


MANAGEMENT_API = Capability(
    name="api",
    install=_install,
    routers=(keys.router, workloads.router, logs.router),
)
