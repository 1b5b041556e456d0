"""The online-evaluation dashboard page: /ui/online-evals, the scorers, sampling, today's spend against the cap
and the last day's score means (online scorers beside the application's feedback), per workload.

It reads through `online_evals.service`, the functions `/api/online-evals/status` uses, in the caller's
workload (another workload's is a 404 page, exactly like the API).
"""

from __future__ import annotations

from rungway.web.pages import PageRouter

__all__ = ["pages"]

pages = PageRouter("online_evals", templates="rungway.online_evals.pages")

from rungway.online_evals.pages import views  # noqa: E402, F401  (its pages join `pages` on import)
