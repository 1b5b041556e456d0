"""The models capability's dashboard pages: each part of the capability adds its own page module here.

One `PageRouter` for the capability (named on its `Capability`); the page modules join it on import.
Every read goes through the functions the API uses, scoped as the API scopes them.
"""

from __future__ import annotations

from rungway.web.pages import PageRouter

__all__ = ["pages"]

pages = PageRouter("models", templates="rungway.models.pages")

from rungway.models.pages import catalogue, failover, pins, routes, shadow  # noqa: E402, F401  (join `pages` on import)
