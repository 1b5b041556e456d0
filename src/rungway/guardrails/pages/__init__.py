"""The guardrails' dashboard page: a workload's filter policy and its recent hits.

One `PageRouter` for the capability (named on its `Capability`). A key sees its own workload only; the
server's admin key picks any workload.
"""

from __future__ import annotations

from rungway.web.pages import PageRouter

__all__ = ["pages"]

pages = PageRouter("guardrails", templates="rungway.guardrails.pages")

from rungway.guardrails.pages import views  # noqa: E402, F401  (its page joins `pages` on import)
