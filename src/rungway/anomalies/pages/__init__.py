"""The anomaly dashboard pages: the anomalies list with each workload's watch state, and one anomaly (what
moved, against which baseline, the dimension that moved most, example traces, the hours around it).

A person sees in the browser what `rungway anomalies list|show|watch` prints: every read goes through the
functions `/api/anomalies` uses, in the caller's workload (another workload's anomaly is "not found").
"""

from __future__ import annotations

from rungway.web.pages import PageRouter

__all__ = ["pages"]

pages = PageRouter("anomalies", templates="rungway.anomalies.pages")

from rungway.anomalies.pages import views  # noqa: E402, F401  (its pages join `pages` on import)
