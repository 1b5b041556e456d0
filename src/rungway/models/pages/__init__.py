"""The models capability's dashboard pages: each part adds its page module here (the catalogue now).

One `PageRouter` for the capability; a page module joins it on import.
"""

from __future__ import annotations

from rungway.web.pages import PageRouter

__all__ = ["pages"]

pages = PageRouter("models", templates="rungway.models.pages")

from rungway.models.pages import catalogue  # noqa: E402, F401  (its pages join `pages` on import)
