"""Imported runs: promptfoo's JSON output (eval and red team) and JUnit XML parse into counts and a time; a broken
file names itself, its line and the fix; XML bombs and external entities are refused before expansion."""

from __future__ import annotations

from pathlib import Path

import pytest

from rungway.assessment.imported import ImportFileError, parse_import, parse_time

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"


def test_promptfoo_eval_output_gives_cases_passed_failed_and_its_time() -> None:
    run = parse_import("promptfoo", (FIXTURES / "promptfoo_eval.json").read_bytes(), "out.json")
    assert (run.tool, run.kind, run.cases, run.passed, run.failed) == ("promptfoo", "tests", 20, 19, 1)
    assert run.run_at == parse_time("2026-11-29T10:15:02.118Z")


def test_promptfoo_red_team_output_is_recognised_as_a_red_team_run() -> None:
    run = parse_import("promptfoo", (FIXTURES / "promptfoo_redteam.json").read_bytes(), "redteam.json")
    assert (run.kind, run.cases, run.passed, run.failed) == ("redteam", 42, 37, 5)


def test_junit_counts_cases_from_testcases_and_skips_the_skipped() -> None:
    run = parse_import("junit", (FIXTURES / "junit.xml").read_bytes(), "junit.xml")
    assert (run.tool, run.cases, run.passed, run.failed) == ("junit", 5, 4, 1)
    assert run.run_at == parse_time("2026-11-29T09:41:17.201334")  # naive: UTC


def test_a_single_testsuite_root_and_errors_count_as_failures() -> None:
    xml = b'<testsuite name="s"><testcase name="a"/><testcase name="b"><error message="x"/></testcase></testsuite>'
    run = parse_import("junit", xml, "one.xml")
    assert (run.cases, run.passed, run.failed, run.run_at) == (2, 1, 1, None)


def test_broken_json_names_the_file_the_line_and_the_fix() -> None:
    with pytest.raises(ImportFileError) as caught:
        parse_import("promptfoo", b'{\n  "results": {\n    "stats": {"successes": 3,,}\n  }\n}', "ci/out.json")
    assert caught.value.message.startswith("ci/out.json, line 3: not valid JSON")
    assert "Fix: pass the file `promptfoo eval -o out.json` wrote" in caught.value.message


def test_broken_xml_names_the_file_and_the_line() -> None:
    with pytest.raises(ImportFileError, match=r"^report.xml, line 4: not well-formed XML .*Fix: "):
        parse_import("junit", b"<testsuites>\n<testsuite>\n<testcase name='a'>\n</testsuite>", "report.xml")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<testsuites><testsuite><testcase name="&lol3;"/></testsuite></testsuites>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><testsuite><testcase name="&x;"/></testsuite>"""


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, EXTERNAL], ids=["entity-expansion", "external-entity"])
def test_xml_bombs_and_external_entities_are_refused(xml: bytes) -> None:
    with pytest.raises(ImportFileError, match="refused: the XML declares a DTD or entities"):
        parse_import("junit", xml, "evil.xml")


@pytest.mark.parametrize(
    ("fmt", "data", "problem"),
    [
        ("promptfoo", b'{"results": []}', "no `results.stats`"),
        ("promptfoo", b'{"results": {"stats": {"successes": -1, "failures": 0}}}', "whole numbers"),
        ("promptfoo", b'{"results": {"stats": {"successes": 0, "failures": 0}}}', "no test cases"),
        ("junit", b"<html><body/></html>", "the root element is <html>"),
        ("junit", b"<testsuites/>", "no test cases"),
        ("junit", b"\x00" * (8 * 1024 * 1024 + 1), "more than the"),
    ],
)
def test_files_that_are_not_reports_are_refused_with_the_reason(fmt: str, data: bytes, problem: str) -> None:
    with pytest.raises(ImportFileError, match=problem):
        parse_import(fmt, data, "f")
