"""The SLO dashboard pages: the list (SLI, error budget, burn rates, alerts) and one SLO with its history.

A person sees in the browser what `rungway slo list|status|history` print: every read goes through the
functions `/api/slos` uses (`slos.service`), in the caller's workload (another workload's SLO is "not found").
"""

from __future__ import annotations

from rungway.web.pages import PageRouter

__all__ = ["pages"]

pages = PageRouter("slos", templates="rungway.slos.pages")

from rungway.slos.pages import views  # noqa: E402, F401  (its pages join `pages` on import)
