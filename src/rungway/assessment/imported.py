"""Test and red-team runs imported from the tools teams already use: promptfoo's JSON and JUnit XML.

Rungway cannot evidence "test cases run before deployment" or "basic red teaming" from its own
records until its evaluation and red-team capabilities exist; the runs a CI job already makes are
honest evidence meanwhile. Each file is parsed into one typed `ImportedRun` (tool, time, commit,
cases, passed, failed, pass rate, file name); the model file says which items accept which
formats. Parsing is pure and bounded: XML goes through defusedxml with DTDs, entities and external
references refused (no XML bombs), and a parse error names the file, the line and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from rungway.errors import InvalidRequest

MAX_IMPORT_BYTES = 8 * 1024 * 1024
"""An imported file larger than this is refused: CI reports are kilobytes to a few megabytes."""

COMMIT = re.compile(r"^[0-9a-fA-F]{7,64}$")
FILE_NAME_MAX = 256


@dataclass(frozen=True, slots=True)
class ImportedRun:
    """One imported run of a workload's tests (or red-team probes), as evidence for one maturity item."""

    id: str
    workload: str
    item_id: str
    tool: str  # "promptfoo" | "junit"
    kind: str  # "tests" | "redteam"
    run_at: float
    commit: str | None
    cases: int
    passed: int
    failed: int
    source_file: str
    imported_at: float
    imported_by: str

    @property
    def pass_rate(self) -> float:
        return self.passed / self.cases if self.cases else 0.0

    def summary(self) -> dict[str, Any]:
        """What the report shows for one run."""
        return {
            "tool": self.tool,
            "kind": self.kind,
            "at": self.run_at,
            "commit": self.commit,
            "cases": self.cases,
            "passed": self.passed,
            "failed": self.failed,
            "pass_rate_pct": round(100.0 * self.pass_rate, 2),
            "file": self.source_file,
        }


@dataclass(frozen=True, slots=True)
class ParsedRun:
    """What a file says: counts, and its own time when it carries one."""

    tool: str
    kind: str
    cases: int
    passed: int
    failed: int
    run_at: float | None


class ImportFileError(InvalidRequest):
    """A file that cannot be imported; the message names the file, the line when known, and the fix."""

    def __init__(self, file_name: str, problem: str, fix: str, line: int | None = None) -> None:
        where = f"{file_name}, line {line}" if line is not None else file_name
        super().__init__(f"{where}: {problem}. Fix: {fix}", param="content", code="invalid_import")


def parse_time(value: object) -> float | None:
    """An ISO 8601 time (naive means UTC) or epoch seconds (or milliseconds, as promptfoo writes them)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value) / 1000.0 if value > 1e11 else float(value)
        return seconds if seconds > 0 else None
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    return None


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return -1
    return value


def parse_promptfoo(data: bytes, file_name: str) -> ParsedRun:
    """`promptfoo eval -o out.json` (and `promptfoo redteam run`'s output): `results.stats` successes/failures."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ImportFileError(
            file_name, f"not valid JSON ({exc.msg})", "pass the file `promptfoo eval -o out.json` wrote", exc.lineno
        ) from None
    if not isinstance(doc, dict):
        raise ImportFileError(file_name, "expected a JSON object", "pass promptfoo's `-o out.json` output")
    results = doc.get("results")
    body: dict[str, Any] = results if isinstance(results, dict) else doc
    stats = body.get("stats")
    if not isinstance(stats, dict):
        raise ImportFileError(
            file_name,
            "no `results.stats` (successes, failures): this is not promptfoo's JSON output",
            "write it with `promptfoo eval -o out.json` (JUnit XML: --format junit)",
        )
    passed, failed, errors = (_count(stats.get(k, 0)) for k in ("successes", "failures", "errors"))
    if min(passed, failed, errors) < 0:
        raise ImportFileError(file_name, "results.stats counts must be whole numbers >= 0", "pass the file unedited")
    config = doc.get("config")
    rows = body.get("results")
    redteam = isinstance(config, dict) and "redteam" in config
    if not redteam and isinstance(rows, list):
        redteam = any(
            isinstance(r, dict) and isinstance(r.get("metadata"), dict) and "pluginId" in r["metadata"]
            for r in rows[:50]
        )
    when = parse_time(body.get("timestamp")) or parse_time(doc.get("timestamp"))
    return ParsedRun(
        "promptfoo", "redteam" if redteam else "tests", passed + failed + errors, passed, failed + errors, when
    )


def parse_junit(data: bytes, file_name: str) -> ParsedRun:
    """JUnit XML (`<testsuites>` or one `<testsuite>`): cases counted from `<testcase>` and their outcomes."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ImportFileError(
            file_name,
            f"refused: the XML declares a DTD or entities ({type(exc).__name__}), which a test report never needs",
            "pass the JUnit XML your test runner wrote, without a DOCTYPE",
        ) from None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise ImportFileError(
            file_name, f"not well-formed XML ({exc.msg})", "pass the JUnit XML file unedited", line
        ) from None
    if root.tag not in ("testsuites", "testsuite"):
        raise ImportFileError(
            file_name,
            f"the root element is <{root.tag}>, not <testsuites> or <testsuite>",
            "pass a JUnit XML report (pytest --junitxml, promptfoo: --format promptfoo)",
        )
    cases = passed = 0
    for case in root.iter("testcase"):
        outcomes = {child.tag for child in case}
        if "skipped" in outcomes:
            continue
        cases += 1
        if not outcomes & {"failure", "error"}:
            passed += 1
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    times = [t for t in (parse_time(s.get("timestamp")) for s in [root, *suites]) if t is not None]
    return ParsedRun("junit", "tests", cases, passed, cases - passed, min(times) if times else None)


PARSERS = {"promptfoo": parse_promptfoo, "junit": parse_junit}


def parse_import(fmt: str, data: bytes, file_name: str) -> ParsedRun:
    """Parse an imported file of format `fmt`; the file must hold at least one case."""
    if fmt not in PARSERS:
        raise InvalidRequest(f"format must be one of {', '.join(PARSERS)}, got {fmt!r}", param="format")
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError(
            file_name, f"{len(data)} bytes is more than the {MAX_IMPORT_BYTES} an import takes", "import a smaller run"
        )
    parsed = PARSERS[fmt](data, file_name)
    if parsed.cases == 0:
        raise ImportFileError(file_name, "the run holds no test cases", "import a run that ran at least one case")
    return parsed


__all__ = [
    "MAX_IMPORT_BYTES",
    "ImportFileError",
    "ImportedRun",
    "ParsedRun",
    "parse_import",
    "parse_junit",
    "parse_promptfoo",
    "parse_time",
]
