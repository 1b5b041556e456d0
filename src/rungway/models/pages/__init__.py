"""The models capability's dashboard pages: one `PageRouter`; each slice's pages join it from their own module.

Failover (`failover.py`): deployment health with circuit states, incidents and an incident's page,
drills (and a form to start one, for the admin).
"""

from __future__ import annotations

from rungway.web.pages import PageRouter

__all__ = ["pages"]

pages = PageRouter("models", templates="rungway.models.pages")

from rungway.models.pages import failover  # noqa: E402, F401  (its pages join `pages` on import)
