"""The models capability's dashboard pages (one `PageRouter`; each slice adds its own page module).

`pins.py`: a workload's pins and upgrades; `routes.py`: its routing rules and deployments, with the explain form.
"""

from __future__ import annotations

from rungway.web.pages import PageRouter

__all__ = ["pages"]

pages = PageRouter("models", templates="rungway.models.pages")

from rungway.models.pages import pins, routes  # noqa: E402, F401  (their pages join `pages` on import)
