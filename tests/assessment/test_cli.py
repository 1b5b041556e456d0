"""`rungway assess` and its subcommands against a real store, with planted gateway traffic."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner

from rungway.cli.main import cli
from tests.assessment.helpers import ASSESS_CONFIG, chat
from tests.servers import Gateway


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], monkeypatch: pytest.MonkeyPatch) -> Gateway:
    gateway = gateway_factory(ASSESS_CONFIG)
    monkeypatch.setenv("RUNGWAY_DATABASE_URL", str(gateway.state.engine.url))
    monkeypatch.setenv("RUNGWAY_CONFIG", gateway.config.source)
    return gateway


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_assess_json_markdown_html_and_table(gw: Gateway) -> None:
    key = gw.create_key("good")
    chat(gw, key.secret, "pinned-model", 2, user="u1")
    gw.flush()
    report = json.loads(run("assess", "--workload", "good", "--format", "json"))
    good = report["workloads"][0]
    assert good["workload"] == "good" and good["stage"] == 1
    assert {r["item"]: r["verdict"] for r in good["items"]}["model_pinning"] == "met"
    # Logged but never read: basic logging is the next investment, not a free "met".
    assert "Next investment: Basic logging" in run("assess", "--workload", "good", "--format", "markdown")
    assert "<table>" in run("assess", "--workload", "good", "--format", "html", "--no-save")
    assert "Maturity assessment" in run("assess")


def test_attest_claim_history_and_threshold(gw: Gateway) -> None:
    gw.create_key("good")
    out = run("assess", "attest", "on_call_rotation", "--workload", "good", "--by", "ann",
              "--link", "https://wiki.example/oncall", "--expires", "30d")  # fmt: skip
    assert "attested on_call_rotation for good by ann" in out
    assert "claimed stage 3" in run("assess", "claim", "--workload", "good", "--stage", "3")
    assert "threshold 0.99" in run("assess", "threshold", "user_cost_attribution", "--value", "0.99")
    report = json.loads(run("assess", "--workload", "good", "--format", "json"))["workloads"][0]
    items = {r["item"]: r for r in report["items"]}
    assert items["on_call_rotation"]["verdict"] == "attested" and report["claimed_stage"] == 3
    assert items["user_cost_attribution"]["threshold"].startswith(">= 99% of calls")
    assert "good" in run("assess", "history", "--workload", "good")


def test_user_mistakes_are_one_line_errors(gw: Gateway) -> None:
    from rungway.errors import RungwayError

    with pytest.raises(RungwayError, match="evidenced by Rungway from its own records"):
        CliRunner().invoke(
            cli,
            ["assess", "attest", "budgets", "--workload", "good", "--by", "a", "--link", "https://x"],
            catch_exceptions=False,
        )
