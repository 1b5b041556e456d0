"""The evaluation capability's dashboard pages: runs, one run, compare, annotations and an overview panel.

A person reads in the browser what `rungway eval` and `GET /api/eval-runs` give: runs newest first
(filtered by dataset, prompt and status) and one run's aggregates (the pass rate with its Wilson interval,
each metric), its failing cases first with the scorers' explanations and a link to each case's trace.
Every read goes through the functions the API uses, scoped as the API scopes them: another workload's
run is a 404 page, exactly like a missing one.
"""

from __future__ import annotations

from rungway.web.pages import PageRouter

__all__ = ["pages"]

pages = PageRouter("evals", templates="rungway.evals.pages")

from rungway.evals.pages import annotate, compare, datasets, panel, runs  # noqa: E402, F401  (their pages join `pages` on import)
