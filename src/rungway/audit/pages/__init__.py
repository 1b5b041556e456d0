"""The audit dashboard page: the trail's records, whether the chain verifies, and the legal holds.

A person does in the browser what `rungway audit list`, `rungway audit verify --since 7d` and `rungway audit
hold|release|holds` do, through the same functions and with the same scope as `/api/audit`: an admin reads every
record, checks the chain and places or releases holds; any other key reads its own workload's records only.
"""

from __future__ import annotations

from rungway.web.pages import PageRouter

__all__ = ["pages"]

pages = PageRouter("audit", templates="rungway.audit.pages")

from rungway.audit.pages import views  # noqa: E402, F401  (its pages join `pages` on import)
