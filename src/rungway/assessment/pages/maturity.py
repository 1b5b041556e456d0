"""The Maturity pages: each workload's stage, claimed against evidenced, and the target its risk tier sets;
one workload item by item (verdict, where it came from, the evidence, links to the calls and traces that
prove it), and its history with drift.

Reads the stored assessments (`latest_assessments`, `history`) and the maturity model exactly as
`/api/assessments` does, scoped by the same rule: a key that is not admin sees its own workload only.
A stored report is rendered from its dictionary, so fields added to an item later (its `source`:
evidenced, imported or attested) show without a change here.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup

from rungway.api.auth import Caller
from rungway.assessment.config import assessment_settings
from rungway.assessment.model import MaturityItem, MaturityModel
from rungway.assessment.model_file import load_model
from rungway.assessment.pages import pages
from rungway.assessment.service import history
from rungway.assessment.store import StoredAssessment, latest_assessments
from rungway.domain.keys import Role
from rungway.errors import NotFound, PermissionDenied
from rungway.gateway.routes import STATE
from rungway.web.charts import Series, line_chart
from rungway.web.render import current_session, render

__all__ = ["MATURITY_PAGE", "EvidenceRow", "evidence_rows", "item_links"]

MATURITY_PAGE = "/ui/maturity"
HISTORY_SHOWN = 200
_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_VERDICT_TONES = {"met": "ok", "attested": "info", "partial": "warn", "unmet": "bad"}  # else muted
# Where a verdict came from, as shown; "none" (nothing backs the item) shows no badge.
_SOURCES = {"evidenced": ("evidenced", "ok"), "imported": ("imported", "info"), "attested": ("attested", "info"),
            "risk_tier": ("not required at this risk tier", "muted")}  # fmt: skip


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One fact behind a verdict, as shown: its name, its value, and where it can be seen (if anywhere)."""

    name: str
    value: str
    href: str | None = None
    external: bool = False


def _page(path: str, **query: str) -> str:
    return f"{path}?{urlencode({k: v for k, v in query.items() if v})}"


def _value(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def evidence_rows(workload: str, evidence: Mapping[str, Any], since: str, admin: bool) -> list[EvidenceRow]:
    """The evidence of one item, each entry linked to the page that shows it where the evidence names it:
    a trace id to its trace, models to their calls, keys to the keys page (admins), budgets to the cost
    page, errors to the failed calls, an attestation's link to itself."""
    rows: list[EvidenceRow] = []
    for name, value in evidence.items():
        label = name.replace("_", " ")
        if isinstance(value, str) and _TRACE_ID.match(value):
            rows.append(EvidenceRow(label, value, f"/ui/traces/{value}"))
        elif name == "link" and isinstance(value, str) and value.startswith(("https://", "http://")):
            rows.append(EvidenceRow(label, value, value, external=True))
        elif isinstance(value, list | Mapping) and value and "model" in name:
            counts = value if isinstance(value, Mapping) else dict.fromkeys(value)  # {model: calls} or [model]
            rows.extend(
                EvidenceRow(label, str(m) if n is None else f"{m} ({n} calls)",
                            _page("/ui/requests", workload=workload, model=str(m), since=since))
                for m, n in list(counts.items())[:20]
            )  # fmt: skip
        elif isinstance(value, list) and value and "trace" in name:
            rows.extend(EvidenceRow(label, str(t), f"/ui/traces/{t}") for t in value[:20] if _TRACE_ID.match(str(t)))
        elif isinstance(value, list) and value and "key" in name and admin:
            rows.append(EvidenceRow(label, _value(value), _page("/ui/keys", workload=workload)))
        elif "budget" in name and isinstance(value, list) and value:
            rows.append(EvidenceRow(label, _value(value), _page("/ui/cost", workload=workload) + "#budgets"))
        elif name.startswith("error") and isinstance(value, int | float) and value:
            rows.append(EvidenceRow(label, _value(value), _page("/ui/requests", workload=workload, errors="true",
                                                                since=since)))  # fmt: skip
        else:
            rows.append(EvidenceRow(label, _value(value)))
    return rows


def item_links(workload: str, item: MaturityItem) -> list[tuple[str, str]]:
    """The calls (and traces) an evidenced item was judged on: its check's window, this workload."""
    if item.check is None:
        return []
    since = f"{item.check.window_days}d"
    links = [("calls", _page("/ui/requests", workload=workload, since=since))]
    if "trace" in item.check.id:
        links.append(("traces", _page("/ui/traces", workload=workload, since=since)))
    return links


def _scope(caller: Caller, workload: str) -> None:
    """A key that is not admin reads its own workload's assessment only (the API's rule)."""
    if caller.role is not Role.ADMIN and workload != caller.workload:
        raise PermissionDenied("This key may only see its own workload's assessment.", code="workload_forbidden")


def _targets(request: web.Request, model: MaturityModel) -> dict[str, int]:
    settings = assessment_settings(request.app[STATE].config)
    return {**model.target_stages, **settings.target_stages}


def _summary(model: MaturityModel, stored: StoredAssessment) -> dict[str, Any]:
    report = stored.report
    next_id = report.get("next_investment")
    return {
        "workload": stored.workload,
        "stage": stored.stage,
        "stage_name": model.stage_name(stored.stage),
        "target": stored.target_stage,
        "risk_tier": report.get("risk_tier", "—"),
        "claimed": stored.claimed_stage,
        "drift": report.get("drift"),
        "assessed_at": stored.assessed_at,
        "next": model.item(next_id).title if next_id and next_id in {i.id for i in model.items} else None,
    }


@pages.page(MATURITY_PAGE, title="Maturity", nav="Maturity", order=35)
async def maturity_list(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    workloads = None if caller.role is Role.ADMIN else [caller.workload or ""]
    latest = await asyncio.to_thread(latest_assessments, request.app[STATE].engine, workloads)
    model = load_model()
    return render(
        request,
        "assessment/maturity.html",
        title="Maturity",
        rows=[_summary(model, latest[name]) for name in sorted(latest)],
        stages=model.stages,
        targets=sorted(_targets(request, model).items(), key=lambda t: t[1]),
    )


def _items(model: MaturityModel, stored: StoredAssessment, admin: bool) -> list[dict[str, Any]]:
    """The report's items in the model's order, each with its title, evidence rows and links."""
    known = {i.id: i for i in model.items}
    out = []
    for raw in stored.report.get("items", []):
        item = known.get(str(raw.get("item")))
        if item is None:  # an item of an older model version
            continue
        since = f"{item.check.window_days}d" if item.check else "30d"
        verdict = str(raw.get("verdict", ""))
        out.append(
            {
                "item": item,
                "verdict": verdict,
                "tone": _VERDICT_TONES.get(verdict, "muted"),
                "source": _SOURCES.get(str(raw.get("source")), (None, "muted")),
                "reason": raw.get("reason", ""),
                "threshold": raw.get("threshold"),
                "lowered": raw.get("threshold_lowered"),  # the organisation lowered the model's threshold
                "evidence": evidence_rows(stored.workload, raw.get("evidence") or {}, since, admin),
                "links": [] if verdict in ("not_assessable", "not_applicable") else item_links(stored.workload, item),
            }
        )
    return out


def _history_chart(rows: list[StoredAssessment], top: int) -> Markup | None:
    if len(rows) < 2:
        return None
    series = [
        Series("stage", [(r.assessed_at, float(r.stage)) for r in rows]),
        Series("target", [(r.assessed_at, float(r.target_stage)) for r in rows], tone="muted"),
    ]
    claimed = [(r.assessed_at, float(r.claimed_stage)) for r in rows if r.claimed_stage is not None]
    if claimed:
        series.append(Series("claimed", claimed, tone="warn"))
    return line_chart(series, label=f"Stage over time (0 to {top})", y_format=lambda v: f"{v:.0f}")


@pages.page(f"{MATURITY_PAGE}/{{workload}}", title="Maturity of a workload")
async def maturity_workload(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    workload = request.match_info["workload"]
    _scope(caller, workload)
    engine = request.app[STATE].engine
    latest, past = await asyncio.gather(
        asyncio.to_thread(latest_assessments, engine, [workload]),
        asyncio.to_thread(history, engine, workload, None, HISTORY_SHOWN),
    )
    if workload not in latest:
        raise NotFound(f"No assessment of workload {workload!r} yet.", code="assessment_not_found")
    model = load_model()
    stored = latest[workload]
    items = _items(model, stored, caller.role is Role.ADMIN)
    progress = {int(p["stage"]): p for p in stored.report.get("progress", [])}
    return render(
        request,
        "assessment/workload.html",
        title=f"Maturity of {workload}",
        summary=_summary(model, stored),
        stages=[(s, [i for i in items if i["item"].stage == s.number], progress.get(s.number)) for s in model.stages],
        history=past[::-1],
        chart=_history_chart(past, model.top_stage),
    )
