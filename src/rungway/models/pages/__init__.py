"""The models capability's dashboard pages: one `PageRouter`; each slice adds its own page module.

`routes.py`: a workload's routing rules and deployments, with the explain form (`/ui/models/routes`).
"""

from __future__ import annotations

from rungway.web.pages import PageRouter

__all__ = ["pages"]

pages = PageRouter("models", templates="rungway.models.pages")

from rungway.models.pages import routes  # noqa: E402, F401  (its pages join `pages` on import)
