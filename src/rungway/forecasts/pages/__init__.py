"""The forecasts dashboard page: spend forecast by workload, team, model or user with its interval, and each
budget's exhaustion date with its range.

A person reads in the browser what `rungway forecast spend` prints: every read goes through the functions
`/api/forecasts` uses (`forecasts.service`), in the caller's workload (asking for another is a 404 page).
"""

from __future__ import annotations

from rungway.web.pages import PageRouter

__all__ = ["pages"]

pages = PageRouter("forecasts", templates="rungway.forecasts.pages")

from rungway.forecasts.pages import views  # noqa: E402, F401  (its pages join `pages` on import)
