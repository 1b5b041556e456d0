"""The caching dashboard page: what the exact and semantic caches and the providers' prompt caching saved next to
spend, the cache's state per workload, the semantic layer's measured hit checks, and clearing a workload's answers.

A person does in the browser what `rungway cost savings`, `rungway cache stats` and `rungway cache clear` do: every
read and the clear go through the functions `/api/cache` uses (`caching.savings`, `caching.stats`,
`caching.store`, the runtime's `forget_workload`), in the caller's workload (asking for another is a 404 page).
"""

from __future__ import annotations

from rungway.web.pages import PageRouter

__all__ = ["pages"]

pages = PageRouter("caching", templates="rungway.caching.pages")

from rungway.caching.pages import views  # noqa: E402, F401  (its pages join `pages` on import)
