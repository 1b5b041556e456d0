"""The pytest plugin as a team uses it: a test file run by pytest (pytester) against a real gateway."""

from __future__ import annotations

import pytest

from tests.api.http import call
from tests.evals.gates.support import ensure_faq
from tests.servers import Gateway

pytest_plugins = ("pytester",)
# `gateway` comes before `pytester` in each test: pytester forgets the modules imported after it starts, and a
# server started after that would import (and define) the store's tables a second time.

TESTS = """
import pytest

HI = [{"role": "user", "content": "hi"}]

@pytest.mark.rungway_eval(model="gpt-4o-mini", workload="test")
def test_inline_cases_pass(rungway_eval):
    report = rungway_eval(cases=[{"key": "hi", "messages": HI, "assert": [{"type": "length", "value": {"min": 1}}]}])
    assert (report.cases, report.passed, report.failures) == (1, 1, ())

def test_inline_case_fails_with_a_diff(rungway_eval):
    rungway_eval(model="gpt-4o-mini", workload="test", cases=[
        {"key": "refund-policy", "messages": HI, "expected": "We refund within 30 days.",
         "assert": [{"type": "contains", "value": "zq-never-said"}]}])

def test_a_dataset_run_is_recorded(rungway_eval):
    report = rungway_eval(dataset="faq", workload="test", model="gpt-4o-mini", record=True,
                          assertions=[{"type": "length", "value": {"min": 1}}])
    assert report.run_id.startswith("run_") and report.pass_rate == 1.0
    print("RUN", report.run_id)

def test_a_lower_bar_lets_failures_through(rungway_eval):
    report = rungway_eval(dataset="faq", workload="test", model="gpt-4o-mini", min_pass_rate=0.0,
                          assertions=[{"type": "contains", "value": "zq-never-said"}])
    assert report.passed == 0 and report.failures[0].case_key == "only"
"""


def test_evals_written_as_tests_pass_fail_with_a_readable_diff_and_record_runs(
    gateway: Gateway, pytester: pytest.Pytester
) -> None:
    ensure_faq(gateway)
    key = gateway.create_key("test").secret
    pytester.makepyfile(test_evals=TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", "--rungway-url", gateway.base_url,
                                           "--rungway-key", key)  # fmt: skip
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([
        "*1 of 1 cases failed (pass rate 0.0%):*",
        "*- refund-policy#0*",
        "*contains: *zq-never-said*",
        "*-We refund within 30 days.*",
    ])  # fmt: skip
    assert "Traceback" not in result.stdout.str()
    run_id = next(line.split("RUN ")[1].split()[0] for line in result.stdout.lines if "RUN run_" in line)
    status, run = call(gateway, "GET", f"/api/eval-runs/{run_id}?limit=0", key)
    assert status == 200 and (run["status"], run["cases"], run["trigger"]) == ("finished", 1, "api")


def test_a_misused_fixture_says_how_to_call_it(gateway: Gateway, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_bad="def test_bad(rungway_eval):\n    rungway_eval(model='m', cases=[], dataset='')\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--rungway-url", gateway.base_url,
                                           "--rungway-key", "k")  # fmt: skip
    result.assert_outcomes(failed=1)
    assert "give dataset=NAME[@VERSION] or cases=[...], not both or neither" in result.stdout.str()
