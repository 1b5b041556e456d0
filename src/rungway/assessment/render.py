"""Assessment reports as Markdown, HTML and JSON (the CLI renders its own rich tables from the same dict).

Input is `AssessmentRun.to_dict()`: per workload, the stage reached with partial credit, claimed
versus evidenced, the target from the risk tier and the gap, the unmet items of the next stage as
the diagnostic, and the next investment with its guidance and the Rungway command that builds it.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from rungway.assessment.model import MaturityModel

MARK = {"met": "✅", "attested": "📝", "partial": "◐", "unmet": "❌", "not_assessable": "—"}


def when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def diagnostic(model: MaturityModel, report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The unsatisfied items of the next stage (and any gaps in earlier stages), in model order."""
    next_stage = min(report["stage"] + 1, model.top_stage)
    stage_of = {i.id: i.stage for i in model.items}
    return [r for r in report["items"] if stage_of[r["item"]] <= next_stage and r["verdict"] not in ("met", "attested")]


def _evidence(evidence: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in evidence.items() if v not in (None, [], {}, ""))


def _summary_line(model: MaturityModel, w: Mapping[str, Any]) -> str:
    claimed = w["claimed_stage"] if w["claimed_stage"] is not None else "not claimed"
    credit = next((p["fraction"] for p in w["progress"] if p["stage"] == min(w["stage"] + 1, model.top_stage)), "")
    return (
        f"Stage **{w['stage']} ({model.stage_name(w['stage'])})** from evidence, next stage {credit}; "
        f"claimed: {claimed}; target for `{w['risk_tier']}`: {w['target_stage']} (gap {w['gap']})"
    )


def to_markdown(model: MaturityModel, run: Mapping[str, Any]) -> str:
    lines = [f"# Maturity assessment ({when(run['assessed_at'])}, model {run['model_version']})", ""]
    for w in run["workloads"]:
        lines += [f"## {w['workload']}", "", _summary_line(model, w), ""]
        if w.get("drift"):
            d = w["drift"]
            lines += [
                f"**Drift** since {when(d['previous_assessed_at'])}: stage {d['previous_stage']} -> "
                f"{d['current_stage']}; regressed: {', '.join(d['regressed_items']) or 'none'}",
                "",
            ]
        lines += ["| Stage | Credit |", "|---|---|"]
        lines += [f"| {p['stage']} {model.stage_name(p['stage'])} | {p['fraction']} |" for p in w["progress"]]
        lines += ["", "| Item | Stage | Verdict | Why | Evidence |", "|---|---|---|---|---|"]
        for r in diagnostic(model, w):
            item = model.item(r["item"])
            lines.append(
                f"| {item.title} | {item.stage} | {MARK[r['verdict']]} {r['verdict']} | {r['reason']} | "
                f"{_evidence(r['evidence'])} |"
            )
        if w["next_investment"]:
            item = model.item(w["next_investment"])
            lines += ["", f"**Next investment: {item.title}.** {item.guidance}", "", f"Build it: `{item.builds_with}`"]
        lines.append("")
    return "\n".join(lines)


def to_html(model: MaturityModel, run: Mapping[str, Any]) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Rungway maturity assessment</title>",
        "<style>body{font-family:system-ui;margin:2em}td,th{border:1px solid #ccc;padding:4px 8px}"
        "table{border-collapse:collapse;margin:1em 0}.met,.attested{color:#070}.unmet{color:#a00}"
        ".partial{color:#a60}.not_assessable{color:#777}</style></head><body>",
        f"<h1>Maturity assessment</h1><p>{e(when(run['assessed_at']))}, model {e(run['model_version'])}</p>",
    ]
    for w in run["workloads"]:
        claimed = w["claimed_stage"] if w["claimed_stage"] is not None else "not claimed"
        parts.append(
            f"<h2>{e(w['workload'])}</h2><p>Stage <b>{w['stage']} ({e(model.stage_name(w['stage']))})</b> "
            f"from evidence; claimed {e(str(claimed))}; target {w['target_stage']} (gap {w['gap']})</p>"
        )
        if w.get("drift"):
            d = w["drift"]
            parts.append(
                f"<p class='unmet'>Drift: stage {d['previous_stage']} → {d['current_stage']}; "
                f"regressed: {e(', '.join(d['regressed_items']))}</p>"
            )
        parts.append("<table><tr><th>Item</th><th>Stage</th><th>Verdict</th><th>Why</th><th>Evidence</th></tr>")
        for r in w["items"]:
            item = model.item(r["item"])
            parts.append(
                f"<tr><td>{e(item.title)}</td><td>{item.stage}</td><td class='{r['verdict']}'>{r['verdict']}</td>"
                f"<td>{e(r['reason'])}</td><td>{e(_evidence(r['evidence']))}</td></tr>"
            )
        parts.append("</table>")
        if w["next_investment"]:
            item = model.item(w["next_investment"])
            parts.append(
                f"<p><b>Next investment: {e(item.title)}.</b> {e(item.guidance)}<br>"
                f"<code>{e(item.builds_with)}</code></p>"
            )
    parts.append("</body></html>")
    return "".join(parts)


def to_json(run: Mapping[str, Any]) -> str:
    return orjson.dumps(run, option=orjson.OPT_INDENT_2).decode()
