"""The CI gate over an eval run: requirements as small expressions, a verdict, and the reports CI reads.

A requirement is `SUBJECT OP NUMBER`, parsed by a regular grammar and never evaluated as code:

    SUBJECT := pass_rate | pass_rate_low | pass_rate_high | cases | passed | errored | cost_usd
             | mean_latency_ms | metric:NAME | metric:NAME.mean
    OP      := >= | <= | > | < | == | !=
    NUMBER  := a decimal number, or a percentage (90%)

`metric:NAME` is the metric's pass rate and `metric:NAME.mean` its mean score. A requirement that names a
figure the run lacks (a metric no assertion produced) fails and says so. The verdict also fails on a
significant regression against a baseline run (`compare.Comparison`). Reports: a Markdown summary for a
pull-request comment, JUnit XML with one testcase per case (read back by the assessment's JUnit importer),
and GitHub Actions `::error::` annotations.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from rungway.evals.gates.compare import CaseRecord, Comparison

__all__ = [
    "GateResult",
    "Requirement",
    "RequirementError",
    "RequirementResult",
    "evaluate",
    "github_annotations",
    "junit_xml",
    "markdown",
    "parse_requirement",
]

MAX_EXPRESSION = 300
RUN_FIELDS = ("pass_rate", "pass_rate_low", "pass_rate_high", "cases", "passed", "errored", "cost_usd",
              "mean_latency_ms")  # fmt: skip
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq, "!=": operator.ne,
}  # fmt: skip
_GRAMMAR = re.compile(
    r"\s*(?P<subject>metric:[A-Za-z0-9_.:/-]{1,128}?(?:\.mean)?|[a-z_]{1,32})\s*"
    r"(?P<op>>=|<=|==|!=|>|<)\s*(?P<number>[+-]?(?:\d{1,15}(?:\.\d{0,15})?|\.\d{1,15})(?:[eE][+-]?\d{1,3})?)"
    r"\s*(?P<percent>%)?\s*"
)
_EXAMPLE = "e.g. 'pass_rate>=0.9', 'metric:contains>=95%' or 'errored==0'"


class RequirementError(ValueError):
    """A requirement that does not parse; the message names the expression and the fix."""


@dataclass(frozen=True, slots=True)
class Requirement:
    """One parsed requirement: a run figure or metric, a comparison and a threshold."""

    expression: str
    subject: str
    op: str
    threshold: float

    def check(self, value: float) -> bool:
        return OPERATORS[self.op](value, self.threshold)


def parse_requirement(expression: str) -> Requirement:
    """Parse `SUBJECT OP NUMBER`; anything else is a `RequirementError` that says how to write it."""
    if len(expression) > MAX_EXPRESSION:
        raise RequirementError(f"--require {expression[:40]!r}...: longer than {MAX_EXPRESSION} characters")
    match = _GRAMMAR.fullmatch(expression)
    if match is None:
        raise RequirementError(f"--require {expression!r}: expected SUBJECT OP NUMBER, {_EXAMPLE}")
    subject = match["subject"]
    if not subject.startswith("metric:") and subject not in RUN_FIELDS:
        raise RequirementError(
            f"--require {expression!r}: unknown figure {subject!r}; use one of {', '.join(RUN_FIELDS)}, "
            "or metric:NAME (a metric's pass rate) or metric:NAME.mean"
        )
    threshold = float(match["number"]) / (100 if match["percent"] else 1)
    if not math.isfinite(threshold):
        raise RequirementError(f"--require {expression!r}: the threshold must be a finite number, {_EXAMPLE}")
    return Requirement(expression.strip(), subject, match["op"], threshold)


@dataclass(frozen=True, slots=True)
class RequirementResult:
    requirement: Requirement
    value: float | None
    passed: bool
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"expression": self.requirement.expression, "value": self.value, "passed": self.passed,
                "reason": self.reason}  # fmt: skip


@dataclass(frozen=True, slots=True)
class GateResult:
    """The gate's verdict on one run, and why."""

    run_id: str
    passed: bool
    requirements: tuple[RequirementResult, ...]
    baseline_run: str | None
    comparison: Comparison | None
    notes: tuple[str, ...]

    @property
    def reasons(self) -> list[str]:
        out = [r.reason for r in self.requirements if not r.passed]
        if self.comparison is not None:
            out += [f"significant regression in {m.metric} vs {self.baseline_run}: mean {m.mean_a:.3f} -> "
                    f"{m.mean_b:.3f}, pass rate {_pct(m.test.pass_rate_a.rate)} -> {_pct(m.test.pass_rate_b.rate)}"
                    for m in self.comparison.significant_regressions]  # fmt: skip
        return out + [n for n in self.notes if not self.passed and n.startswith("fail:")]

    def to_json(self) -> dict[str, Any]:
        """What is recorded on the run (`POST /api/eval-runs/{id}/gates`)."""
        return {
            "passed": self.passed,
            "requirements": [r.to_json() for r in self.requirements],
            "baseline_run": self.baseline_run,
            "regressions": len(self.comparison.regressions) if self.comparison else 0,
            "significant_regressions": [m.metric for m in self.comparison.significant_regressions]
            if self.comparison else [],
            "notes": list(self.notes),
        }  # fmt: skip


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _figure(run: Mapping[str, Any], subject: str) -> float | None:
    if not subject.startswith("metric:"):
        value = run.get(subject)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    name, mean = subject[len("metric:") :], False
    metrics = {str(m.get("name")): m for m in run.get("metrics") or ()}
    if name not in metrics and name.endswith(".mean"):
        name, mean = name[: -len(".mean")], True
    found = metrics.get(name)
    if found is None:
        return None
    return float(found["mean"] if mean else found["pass_rate"])


def evaluate(
    run: Mapping[str, Any],
    requirements: Sequence[Requirement],
    *,
    comparison: Comparison | None = None,
    baseline_run: str | None = None,
    notes: Sequence[str] = (),
) -> GateResult:
    """Judge a finished run (as `GET /api/eval-runs/{id}` answers) against the requirements and the baseline.

    A note starting with "fail:" (e.g. no baseline under a fail policy) fails the gate.
    """
    results = []
    for req in requirements:
        value = _figure(run, req.subject)
        if value is None:
            known = ", ".join(f"metric:{m.get('name')}" for m in run.get("metrics") or ()) or "none"
            results.append(
                RequirementResult(
                    req, None, False, f"{req.expression}: the run has no {req.subject} (metrics: {known})"
                )
            )
            continue  # fmt: skip
        ok = req.check(value)
        shown = f"{value:.4g}"
        results.append(RequirementResult(req, value, ok, f"{req.expression}: {shown} " + ("holds" if ok else
                                         f"does not hold (needs {req.op} {req.threshold:g})")))  # fmt: skip
    status_ok = run.get("status") == "finished"
    notes = list(notes) + ([] if status_ok else [f"fail: run {run.get('id')} is {run.get('status')}, not finished"])
    passed = all(r.passed for r in results) and not any(n.startswith("fail:") for n in notes)
    if comparison is not None and comparison.significant_regressions:
        passed = False
    return GateResult(str(run.get("id")), passed, tuple(results), baseline_run, comparison, tuple(notes))


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("`", "'")[:300]


def markdown(gate: GateResult, run: Mapping[str, Any], max_cases: int = 50) -> str:
    """A summary fit for a pull-request comment: the verdict, requirements, and regressions with case keys."""
    head = "✅ **Eval gate passed**" if gate.passed else "❌ **Eval gate failed**"
    lines = [
        f"### {head}",
        "",
        f"Run `{gate.run_id}`: dataset `{run.get('dataset')}@{run.get('dataset_version')}`"
        + (f", prompt `{run.get('prompt')}@{run.get('prompt_version')}`" if run.get("prompt") else "")
        + f", model `{run.get('model')}`; {run.get('passed', 0)} of {run.get('cases', 0)} passed.",
        "",
        "| Requirement | Value | Result |",
        "| --- | --- | --- |",
    ]
    for r in gate.requirements:
        value = "n/a" if r.value is None else f"{r.value:.4g}"
        lines.append(f"| `{_md_cell(r.requirement.expression)}` | {value} | {'pass' if r.passed else '**fail**'} |")
    lines += ["", *[f"- {_md_cell(n)}" for n in gate.notes]] if gate.notes else []
    cmp = gate.comparison
    if cmp is not None:
        lines += ["", f"Against `{gate.baseline_run}`: {cmp.matched} cases matched, {len(cmp.regressions)} "
                  f"regressed, {len(cmp.improvements)} improved."]  # fmt: skip
        for m in cmp.significant_regressions:
            lines.append(f"- **significant regression** in `{_md_cell(m.metric)}`: mean {m.mean_a:.3f} -> "
                         f"{m.mean_b:.3f} (McNemar p={m.test.passes.p_value:.3g})")  # fmt: skip
        if cmp.regressions:
            lines += ["", "| Regressed case | Score | Why |", "| --- | --- | --- |"]
            for c in cmp.regressions[:max_cases]:
                lines.append(f"| `{_md_cell(c.case_key)}`#{c.repeat} | {c.score_a:.2f} -> {c.score_b:.2f} | "
                             f"{_md_cell(c.explanation)} |")  # fmt: skip
            if len(cmp.regressions) > max_cases:
                lines.append(f"\n...and {len(cmp.regressions) - max_cases} more.")
    return "\n".join(lines) + "\n"


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    """Text XML 1.0 can hold: a model's output may carry control characters no XML parser accepts."""
    return _NOT_XML.sub("\ufffd", text)


def junit_xml(run: Mapping[str, Any], results: Iterable[CaseRecord]) -> bytes:
    """JUnit XML: one testsuite (the run), one testcase per case x repeat, failures with the explanations."""
    suite = Element("testsuite", name=f"eval {run.get('dataset')}@{run.get('dataset_version')}")
    tests = failures = errors = 0
    for r in results:
        tests += 1
        name = r.case_key if r.repeat == 0 else f"{r.case_key}#{r.repeat}"
        case = SubElement(suite, "testcase", classname=str(run.get("dataset")), name=_xml(name))
        if r.error:
            errors += 1
            SubElement(case, "error", message=_xml(r.error[:500])).text = _xml(r.error)
        elif not r.passed:
            failures += 1
            why = _xml(r.why_failed())
            SubElement(case, "failure", message=why or "failed").text = why
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    if run.get("started_at"):
        suite.set("timestamp", str(run["started_at"]))
    root = Element("testsuites")
    root.append(suite)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode").encode() + b"\n"


def _escape_annotation(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_annotations(gate: GateResult) -> list[str]:
    """`::error::` lines GitHub Actions turns into annotations: one per reason the gate failed."""
    return [f"::error title=eval gate::{_escape_annotation(reason)}" for reason in gate.reasons]
