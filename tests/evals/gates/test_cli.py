"""`rungway eval gate` and `rungway eval compare` as CI runs them: own process, real server, exit codes, files."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from rungway.assessment.imported import parse_junit
from rungway.domain.keys import KeyKind
from tests.api.http import call
from tests.cli.run import cli_env
from tests.conftest import SIMULATOR_CONFIG
from tests.evals.gates.support import all_pass, planted, seed_run
from tests.servers import Gateway

NO_APPROVALS = SIMULATOR_CONFIG + "prompts:\n  workloads:\n    test:\n      approvals_required: 0\n"


def eval_cli(gw: Gateway, key: str, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**cli_env(None), "RUNGWAY_URL": gw.base_url, "RUNGWAY_API_KEY": key, "GITHUB_ACTIONS": "", **env}
    return subprocess.run([sys.executable, "-m", "rungway", "eval", *args], env=full, cwd=cwd, text=True,
                          capture_output=True, timeout=120, check=False)  # fmt: skip


def test_gate_passes_writes_its_reports_and_records_the_verdict(gateway: Gateway, tmp_path: Path) -> None:
    key = gateway.create_key("test").secret
    run = seed_run(gateway, key, planted())  # 30 of 40 pass
    done = eval_cli(gateway, key, "gate", "--run", run, "--require", "pass_rate>=0.7", "--require",
                    "metric:contains>=75%", "--markdown", "gate.md", "--junit", "gate.xml", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "PASS pass_rate>=0.7: 0.75 holds" in done.stdout and "eval gate passed" in done.stdout
    assert "Eval gate passed" in (tmp_path / "gate.md").read_text()
    parsed = parse_junit((tmp_path / "gate.xml").read_bytes(), "gate.xml")
    assert (parsed.cases, parsed.passed, parsed.failed) == (40, 30, 10)
    status, gates = call(gateway, "GET", f"/api/eval-runs/{run}/gates", key)
    assert status == 200 and [g["passed"] for g in gates["data"]] == [True]


def test_a_failing_gate_exits_1_with_its_reasons_and_annotations(gateway: Gateway, tmp_path: Path) -> None:
    key = gateway.create_key("test").secret
    run = seed_run(gateway, key, planted())
    done = eval_cli(gateway, key, "gate", "--run", run, "--require", "pass_rate>=0.9", "--require",
                    "metric:rouge-l>=0.5", cwd=tmp_path, GITHUB_ACTIONS="true",
                    GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"))  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "FAIL pass_rate>=0.9: 0.75 does not hold (needs >= 0.9)" in done.stdout
    errors = [line for line in done.stdout.splitlines() if line.startswith("::error")]
    assert len(errors) == 2 and "metric:rouge-l" in errors[1]
    assert "Eval gate failed" in (tmp_path / "summary.md").read_text()
    quiet = eval_cli(gateway, key, "gate", "--run", run, "--require", "pass_rate>=0.9", "--no-record", cwd=tmp_path)
    assert quiet.returncode == 1 and "::error" not in quiet.stdout  # annotations only on GitHub Actions
    status, gates = call(gateway, "GET", f"/api/eval-runs/{run}/gates", key)
    assert status == 200 and [g["passed"] for g in gates["data"]] == [False]  # --no-record recorded nothing


def test_usage_errors_exit_2_and_name_the_fix(gateway: Gateway, tmp_path: Path) -> None:
    key = gateway.create_key("test").secret
    other = gateway.create_key("other").secret
    run = seed_run(gateway, key, all_pass(4))
    cases: list[tuple[tuple[str, ...], str]] = [
        (("--require", "pass_rate>=ninety"), "expected SUBJECT OP NUMBER, e.g. 'pass_rate>=0.9'"),
        (("--require", "score>=1"), "unknown figure 'score'"),
        ((), "nothing to check"),
        (("--require", "pass_rate>=1", "--no-regression-vs", "Prod!"), "a label such as production"),
    ]
    for args, says in cases:
        done = eval_cli(gateway, key, "gate", "--run", run, *args, cwd=tmp_path)
        assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)
    done = eval_cli(gateway, other, "gate", "--run", run, "--require", "pass_rate>=1", cwd=tmp_path)
    assert done.returncode == 2 and "404" in done.stderr and "Traceback" not in done.stderr  # another workload's


def test_no_regression_vs_a_run_lists_the_regressed_cases(gateway: Gateway, tmp_path: Path) -> None:
    key = gateway.create_key("test").secret
    base, worse = seed_run(gateway, key, all_pass()), seed_run(gateway, key, planted())
    done = eval_cli(gateway, key, "gate", "--run", worse, "--no-regression-vs", base, "--markdown", "pr.md",
                    cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    text = (tmp_path / "pr.md").read_text()
    assert "significant regression** in `(overall)`" in text and "| `case-004`#0 | 1.00 -> 0.00 |" in text
    same = eval_cli(gateway, key, "gate", "--run", base, "--no-regression-vs", seed_run(gateway, key, all_pass()),
                    cwd=tmp_path)  # fmt: skip
    assert same.returncode == 0, same.stdout
    shown = eval_cli(gateway, key, "compare", base, worse, "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert len(json.loads(shown.stdout)["regressions"]) == 10
    table = eval_cli(gateway, key, "compare", base, worse, cwd=tmp_path)
    assert "10 regressed" in table.stdout and "regressed: case-000#0" in table.stdout


def test_no_regression_vs_production_finds_the_labelled_versions_run(
    gateway_factory: Callable[..., Gateway], tmp_path: Path
) -> None:
    gw = gateway_factory(NO_APPROVALS)
    key = gw.create_key("test", kind=KeyKind.PERSON, owner="ann").secret
    candidate = seed_run(gw, key, planted(), prompt="support", prompt_version=2)
    args = ("gate", "--run", candidate, "--require", "pass_rate>=0.5", "--no-regression-vs", "production")
    missing = eval_cli(gw, key, *args, cwd=tmp_path)
    assert missing.returncode == 1 and "no baseline: no version of prompt support holds label" in missing.stdout
    allowed = eval_cli(gw, key, *args, "--if-no-baseline", "pass", cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stdout
    prompt = {"name": "support", "messages": [{"role": "user", "content": "{{q}}"}], "model": "gpt-4o-mini"}
    for text in ("v1 {{q}}", "v2 {{q}}"):
        prompt["messages"] = [{"role": "user", "content": text}]
        status, made = call(gw, "POST", "/api/prompts", key, prompt)
        assert status == 200, made
    status, moved = call(gw, "POST", "/api/prompts/support/labels/production", key, {"version": 1, "reason": "go"})
    assert status == 200, moved
    no_run = eval_cli(gw, key, *args, cwd=tmp_path)
    assert no_run.returncode == 1 and "no finished run of dataset faq for support@1" in no_run.stdout
    production = seed_run(gw, key, all_pass(), prompt="support", prompt_version=1)
    seed_run(gw, key, planted(), prompt="support", prompt_version=3)  # another version's run is not the baseline
    found = eval_cli(gw, key, *args, cwd=tmp_path)
    assert found.returncode == 1 and f"baseline: run {production} of support@1 (production)" in found.stdout
    assert "10 regressed" in found.stdout
