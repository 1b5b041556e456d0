"""The assessment's dashboard pages: its overview panel (each workload's assessed stage, target and
next investment, from the latest stored assessment).

Reads the stored assessments (`latest_assessments`) and the maturity model, as `/api/assessments` does.
"""

from __future__ import annotations

import asyncio
from typing import Any

from markupsafe import Markup

from rungway.assessment.model_file import load_model
from rungway.assessment.store import latest_assessments
from rungway.domain.keys import Role
from rungway.gateway.routes import STATE
from rungway.web.pages import PageRouter, PanelContext
from rungway.web.render import render_fragment

__all__ = ["pages"]

pages = PageRouter("assessment", templates="rungway.assessment.pages")


@pages.panel("Maturity", order=20)
async def stage_panel(ctx: PanelContext) -> Markup:
    engine = ctx.request.app[STATE].engine
    workloads = None if ctx.caller.role is Role.ADMIN else list(ctx.workloads)
    latest = await asyncio.to_thread(latest_assessments, engine, workloads)
    model = load_model()
    rows: list[dict[str, Any]] = []
    for name in sorted(latest):
        stored = latest[name]
        next_id = stored.report.get("next_investment")
        rows.append(
            {
                "workload": name,
                "stage": stored.stage,
                "stage_name": model.stage_name(stored.stage),
                "target": stored.target_stage,
                "claimed": stored.claimed_stage,
                "drift": stored.drift,
                "assessed_at": stored.assessed_at,
                "next": model.item(next_id).title if next_id else None,
            }
        )
    return render_fragment(ctx.request, "assessment/panel.html", rows=rows)


from rungway.assessment.pages import maturity  # noqa: E402, F401  (its pages join `pages` on import)
