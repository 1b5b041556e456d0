"""The models capability's dashboard pages (one `PageRouter`; each slice adds its own page module)."""

from __future__ import annotations

from rungway.web.pages import PageRouter

__all__ = ["pages"]

pages = PageRouter("models", templates="rungway.models.pages")

from rungway.models.pages import pins  # noqa: E402, F401  (its pages join `pages` on import)
