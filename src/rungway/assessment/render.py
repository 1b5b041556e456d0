"""Assessment reports as Markdown, HTML and JSON (the CLI renders its own rich tables from the same dict).

Input is `AssessmentRun.to_dict()`: per workload, every stage's progress, claimed versus evidenced
(an over-claim flagged by name), the target from the risk tier and the gap, the unmet items of the
next stage as the diagnostic with the source of each verdict (evidenced, imported, attested), any
threshold lowered below the model's, the next investment with the evidence behind it and the
command that builds it, and the next three investments in order.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from rungway.assessment.model import MaturityModel

MARK = {
    "met": "✅",
    "attested": "📝",
    "partial": "◐",
    "unmet": "❌",
    "not_assessable": "—",
    "not_applicable": "⊘",
}
SOURCE = {
    "evidenced": "evidenced",
    "imported": "imported",
    "attested": "attested (not evidenced)",
    "risk_tier": "risk tier",
    "none": "none",
}


def for_workload(text: str, workload: str) -> str:
    """A printed command with the placeholder `W` filled with the workload's name, ready to run."""
    return re.sub(r"(?<![\w.<])W(?![\w>])", workload, text)


def when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def diagnostic(model: MaturityModel, report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The unsatisfied items of the next stage (and any gaps in earlier stages), in model order."""
    next_stage = min(report["stage"] + 1, model.top_stage)
    stage_of = {i.id: i.stage for i in model.items}
    done = ("met", "attested", "not_applicable")
    return [r for r in report["items"] if stage_of[r["item"]] <= next_stage and r["verdict"] not in done]


def source_of(result: Mapping[str, Any]) -> str:
    return SOURCE.get(str(result.get("source") or "none"), str(result.get("source")))


def why(result: Mapping[str, Any], workload: str = "W") -> str:
    """The reason, with a lowered threshold said out loud (every format shows it, not only JSON)."""
    lowered = result.get("threshold_lowered")
    reason = for_workload(str(result["reason"]), workload)
    return f"{reason} (⚠ threshold {lowered})" if lowered else reason


def lowered_standards(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every item judged against a threshold the organisation set below the model's."""
    return [r for r in report["items"] if r.get("threshold_lowered")]


def stages_line(model: MaturityModel, report: Mapping[str, Any]) -> str:
    """Every stage's progress on one line: `1 Prototype ✓ · 2 Initial production 5/6 · ...`."""
    parts = []
    for p in report["progress"]:
        done = p["satisfied"] == p["total"]
        parts.append(f"{p['stage']} {model.stage_name(p['stage'])} {'✓' if done else p['fraction']}")
    return " · ".join(parts)


def over_claim(model: MaturityModel, report: Mapping[str, Any]) -> str | None:
    """`Over-claim: W claims stage 3 (...) but its evidence shows stage 1 (...)`, or None."""
    claimed, stage = report.get("claimed_stage"), report["stage"]
    if claimed is None or claimed <= stage:
        return None
    return (
        f"Over-claim: {report['workload']} claims stage {claimed} ({model.stage_name(claimed)}) "
        f"but its evidence shows stage {stage} ({model.stage_name(stage)})"
    )


def next_investments(report: Mapping[str, Any]) -> list[str]:
    return list(report.get("next_investments") or ([report["next_investment"]] if report["next_investment"] else []))


def result_of(report: Mapping[str, Any], item_id: str) -> Mapping[str, Any]:
    return next(r for r in report["items"] if r["item"] == item_id)


def evidence_text(evidence: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in evidence.items() if v not in (None, [], {}, ""))


def _summary_line(model: MaturityModel, w: Mapping[str, Any]) -> str:
    claimed = w["claimed_stage"] if w["claimed_stage"] is not None else "not claimed"
    return (
        f"Stage **{w['stage']} ({model.stage_name(w['stage'])})** from evidence; "
        f"claimed: {claimed}; target for `{w['risk_tier']}`: {w['target_stage']} (gap {w['gap']})"
    )


def _markdown_next(model: MaturityModel, w: Mapping[str, Any]) -> list[str]:
    picks = next_investments(w)
    if not picks:
        return []
    first = model.item(picks[0])
    behind = result_of(w, first.id)
    lines = [
        "",
        f"**Next investment: {first.title}.** {first.guidance}",
        "",
        f"Evidence behind it: {MARK[behind['verdict']]} {behind['verdict']} ({source_of(behind)}): "
        f"{why(behind, w['workload'])}"
        + (f"; {evidence_text(behind['evidence'])}" if evidence_text(behind["evidence"]) else ""),
        "",
        f"Build it: `{for_workload(first.builds_with, w['workload'])}`",
        "",
        "Next investments, in order:",
        "",
    ]
    for n, item_id in enumerate(picks, 1):
        item = model.item(item_id)
        lines.append(f"{n}. {item.title} (stage {item.stage}): `{for_workload(item.builds_with, w['workload'])}`")
    return lines


def to_markdown(model: MaturityModel, run: Mapping[str, Any]) -> str:
    lines = [f"# Maturity assessment ({when(run['assessed_at'])}, model {run['model_version']})", ""]
    for w in run["workloads"]:
        lines += [f"## {w['workload']}", "", _summary_line(model, w), ""]
        if claim := over_claim(model, w):
            lines += [f"**⚠ {claim}.**", ""]
        if w.get("drift"):
            d = w["drift"]
            lines += [
                f"**Drift** since {when(d['previous_assessed_at'])}: stage {d['previous_stage']} -> "
                f"{d['current_stage']}; regressed: {', '.join(d['regressed_items']) or 'none'}",
                "",
            ]
        lines += ["| Stage | Credit |", "|---|---|"]
        lines += [
            f"| {p['stage']} {model.stage_name(p['stage'])} | {'✓ ' if p['satisfied'] == p['total'] else ''}"
            f"{p['fraction']} |"
            for p in w["progress"]
        ]
        lines += ["", "| Item | Stage | Verdict | Source | Why | Evidence |", "|---|---|---|---|---|---|"]
        for r in diagnostic(model, w):
            item = model.item(r["item"])
            lines.append(
                f"| {item.title} | {item.stage} | {MARK[r['verdict']]} {r['verdict']} | {source_of(r)} | "
                f"{why(r, w['workload'])} | "
                f"{evidence_text(r['evidence'])} |"
            )
        for r in lowered_standards(w):
            lines += ["", f"⚠ `{r['item']}` is judged against a lowered threshold: {r['threshold_lowered']}."]
        lines += _markdown_next(model, w)
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
        if claim := over_claim(model, w):
            parts.append(f"<p class='unmet'><b>⚠ {e(claim)}.</b></p>")
        parts.append(f"<p>{e(stages_line(model, w))}</p>")
        parts.append(
            "<table><tr><th>Item</th><th>Stage</th><th>Verdict</th><th>Source</th><th>Why</th><th>Evidence</th></tr>"
        )
        for r in w["items"]:
            item = model.item(r["item"])
            parts.append(
                f"<tr><td>{e(item.title)}</td><td>{item.stage}</td><td class='{r['verdict']}'>{r['verdict']}</td>"
                f"<td>{e(source_of(r))}</td><td>{e(why(r, w['workload']))}</td>"
                f"<td>{e(evidence_text(r['evidence']))}</td></tr>"
            )
        parts.append("</table>")
        if w["next_investment"]:
            item = model.item(w["next_investment"])
            parts.append(
                f"<p><b>Next investment: {e(item.title)}.</b> {e(item.guidance)}<br>"
                f"<code>{e(for_workload(item.builds_with, w['workload']))}</code></p><ol>"
            )
            for i in next_investments(w):
                build = for_workload(model.item(i).builds_with, w["workload"])
                parts.append(f"<li>{e(model.item(i).title)}: <code>{e(build)}</code></li>")
            parts.append("</ol>")
    parts.append("</body></html>")
    return "".join(parts)


def to_json(run: Mapping[str, Any]) -> str:
    return orjson.dumps(run, option=orjson.OPT_INDENT_2).decode()
