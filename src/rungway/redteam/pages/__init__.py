"""The red-team dashboard pages: the runs list, a run (per-category rates, findings with transcripts, the diff
from the previous run, the triage form) and the schedules.

A person does in the browser what `rungway redteam list|show|diff` and the triage route do: every read and the
triage go through the functions `/api/redteam` uses (`redteam.service`), in the caller's workload (another
workload's run is "not found").
"""

from __future__ import annotations

from rungway.web.pages import PageRouter

__all__ = ["pages"]

pages = PageRouter("redteam", templates="rungway.redteam.pages")

from rungway.redteam.pages import views  # noqa: E402, F401  (its pages join `pages` on import)
