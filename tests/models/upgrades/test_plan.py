"""`rungway models upgrade plan|apply|rollback|show` against a real server, on two simulator models of planted
different quality: the terse one meets a `word-count` assertion, the wordy one fails it on every case."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from rungway.cli.main import cli
from rungway.errors import RungwayError
from tests.api.http import ADMIN, call
from tests.conftest import SIMULATOR_CONFIG
from tests.models.pins.support import logged
from tests.servers import Gateway

WORDY = "sim-wordy-2024-01-01"
TERSE = "sim-terse-2024-06-01"
PROVIDERS = """  wordy:
    type: simulator
    reply_words: [30, 30]
  terse:
    type: simulator
    reply_words: [3, 3]
"""
MODELS = f"""models:
  {WORDY}:
    provider: wordy
    model: {WORDY}
  {TERSE}:
    provider: terse
    model: {TERSE}
"""
CONFIG = (
    SIMULATOR_CONFIG.replace("models:\n", PROVIDERS + MODELS)
    + f"""  other: {{}}
pinning:
  workloads:
    test:
      pins: {{assistant: {WORDY}}}
      upgrade_gate: {{max_regressions: 0, max_cost_increase: 0.5}}
"""
)


def _cli(gw: Gateway, key: str, *args: str) -> Result:
    env = {"RUNGWAY_URL": gw.base_url, "RUNGWAY_API_KEY": key, "RUNGWAY_ADMIN_KEY": None, "RUNGWAY_CONFIG": None}
    return CliRunner().invoke(cli, list(args), env=env)


def _error(result: Result) -> str:
    assert result.exit_code == 1 and isinstance(result.exception, RungwayError), (result.output, result.exception)
    return result.exception.message


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway]) -> Gateway:
    gw = gateway_factory(CONFIG)
    cases = [
        {
            "key": f"c{i:02d}",
            "messages": [{"role": "user", "content": f"q{i}"}],
            "assert": [{"type": "word-count", "value": {"max": 12}, "metric": "brief"}],
        }
        for i in range(12)
    ]
    status, made = call(gw, "POST", "/api/datasets", ADMIN, {"name": "faq", "workload": "test", "cases": cases})
    assert status in (200, 201), made
    status, bound = call(
        gw, "POST", "/api/eval-bindings", ADMIN, {"workload": "test", "prompt": "reply", "dataset": "faq"}
    )
    assert status == 201, bound
    return gw


def _plan(gw: Gateway, key: str, a: str, b: str, *extra: str) -> str:
    args = ("models", "upgrade", "plan", "-w", "test", "--from", a, "--to", b, "--alias", "assistant", *extra)
    planned = _cli(gw, key, *args)
    assert planned.exit_code == 0, (planned.output, planned.exception)
    assert "## Quality per scorer" in planned.output
    found = re.search(r"^report (\S+) (passes|fails) the upgrade gate", planned.output, re.MULTILINE)
    assert found is not None, planned.output
    return found.group(1)


def test_a_regressing_upgrade_is_reported_and_refused_and_an_improving_one_applies_and_rolls_back(gw: Gateway) -> None:
    key = gw.create_key("test").secret
    worse = _plan(gw, key, TERSE, WORDY)
    status, report = call(gw, "GET", f"/api/models/upgrades/{worse}", key)
    assert status == 200 and report["passed"] is False
    brief = next(s for s in report["scorers"] if s["metric"] == "brief")
    assert (brief["mean_a"], brief["mean_b"], brief["verdict"]) == (1.0, 0.0, "regression")
    assert brief["p_value"] < 0.05 and report["latency"]["cases"] == 12
    assert "regressed significantly" in report["reasons"][0]
    assert "upgrade gate" in _error(_cli(gw, key, "models", "upgrade", "apply", "--report", worse))

    better = _plan(gw, key, WORDY, TERSE)
    applied = _cli(gw, key, "models", "upgrade", "apply", "--report", better)
    assert applied.exit_code == 0 and f"assistant pinned to {TERSE} (was {WORDY})" in applied.output, applied.output
    gw.sdk(key).chat.completions.create(model="assistant", messages=[{"role": "user", "content": "hi"}])
    assert logged(gw)[-1][:3] == ("assistant", TERSE, True)
    status, history = call(gw, "GET", "/api/models/pins/history", key)
    assert (history["data"][0]["kind"], history["data"][0]["report_id"]) == ("apply", better)
    assert "Applied by" in _cli(gw, key, "models", "upgrade", "show", better).output
    again = _cli(gw, key, "models", "upgrade", "apply", "--report", better)
    assert "was applied" in _error(again)

    rolled = _cli(gw, key, "models", "upgrade", "rollback", "--alias", "assistant")
    assert rolled.exit_code == 0 and f"pinned back to {WORDY}" in rolled.output, rolled.output
    gw.sdk(key).chat.completions.create(model="assistant", messages=[{"role": "user", "content": "hi"}])
    assert logged(gw)[-1][:2] == ("assistant", WORDY)


def test_reports_are_scoped_to_the_workload(gw: Gateway) -> None:
    key = gw.create_key("test").secret
    report_id = _plan(gw, key, WORDY, TERSE, "--shadow-report", "shd_1")
    assert call(gw, "GET", f"/api/models/upgrades/{report_id}", key)[1]["shadow"] == {"report": "shd_1"}
    stranger = gw.create_key("other").secret
    assert call(gw, "GET", f"/api/models/upgrades/{report_id}", stranger)[0] == 404
    assert call(gw, "POST", f"/api/models/upgrades/{report_id}/apply", stranger, {})[0] == 404
    assert call(gw, "GET", "/api/models/upgrades", stranger)[1]["data"] == []
    assert call(gw, "GET", "/api/models/upgrades?workload=test", stranger)[0] == 404
    assert [r["id"] for r in call(gw, "GET", "/api/models/upgrades", ADMIN)[1]["data"]] == [report_id]
    runs = call(gw, "GET", f"/api/models/upgrades/{report_id}", key)[1]["runs"]
    pair = [{"a": runs[0]["run_a"], "b": runs[0]["run_b"]}]
    body = {"from": WORDY, "to": TERSE, "alias": "assistant", "runs": pair}
    assert call(gw, "POST", "/api/models/upgrades", stranger, body)[0] == 404  # another workload's runs
    swapped = call(gw, "POST", "/api/models/upgrades", key, {**body, "from": TERSE, "to": WORDY})
    assert swapped[0] == 400 and "not 'sim-terse-2024-06-01'" in swapped[1]["error"]["message"]
    status, made = call(gw, "POST", "/api/models/upgrades", key, body)
    assert status == 201 and made["passed"] is True and made["runs"][0]["run_a"] == runs[0]["run_a"]


def test_plan_without_bound_datasets_names_the_fix(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(CONFIG)
    key = gw.create_key("test").secret
    result = _cli(gw, key, "models", "upgrade", "plan", "-w", "test", "--from", WORDY, "--to", TERSE)
    assert "rungway eval bind" in _error(result)
