"""The Patterns page: every component with sample data, and its empty and error states.

New pages build from these macros (`templates/components.html`); seeing them side by side keeps the
style consistent, and the browser tests screenshot this page at both widths.
"""

from __future__ import annotations

from aiohttp import web

from rungway.web.charts import Series, line_chart
from rungway.web.pages import PageRouter
from rungway.web.render import render

__all__ = ["pages"]

pages = PageRouter("patterns")


@pages.page("/ui/patterns", title="Patterns", nav="Patterns", order=90)
async def patterns(request: web.Request) -> web.StreamResponse:
    start = 1_764_460_800.0  # a fixed day, so the page looks the same on every run
    points = [(start + i * 3600, float(v)) for i, v in enumerate([3, 5, 4, 9, 12, 8, 7, 15, 11, 6, 4, 5])]
    errors = [(t, v / 4) for t, v in points]
    chart = line_chart(
        [Series("requests", points), Series("errors", errors, tone="bad")],
        label="Sample: requests and errors per hour",
    )
    rows = [
        {"name": "support-bot", "status": 200, "latency_ms": 412.0, "cost_usd": 0.0123},
        {"name": "search", "status": 429, "latency_ms": 3.0, "cost_usd": 0.0},
        {"name": "summariser", "status": 502, "latency_ms": 30_512.0, "cost_usd": 0.5},
    ]
    return render(
        request,
        "web/patterns.html",
        title="Patterns",
        chart=chart,
        empty_chart=line_chart([], label="No data"),
        rows=rows,
    )
