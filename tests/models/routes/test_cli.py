"""`rungway models routes show|explain` against a running server: the key's scope applies, mistakes are one line."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import CliRunner, Result

from rungway.cli.main import cli
from tests.models.routes.support import ROUTED
from tests.servers import Gateway


def run(gw: Gateway, key: str, *args: str) -> Result:
    env = {"RUNGWAY_URL": gw.base_url, "RUNGWAY_API_KEY": key, "RUNGWAY_ADMIN_KEY": None, "RUNGWAY_CONFIG": None}
    return CliRunner().invoke(cli, ["models", "routes", *args], env=env)


def test_show_and_explain(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(ROUTED)
    key = gw.create_key("support").secret
    shown = run(gw, key, "show")
    assert shown.exit_code == 0, shown.output
    assert "long-prompts" in shown.output and "gpt-4o-mini-eu" in shown.output
    data = json.loads(run(gw, key, "show", "--format", "json").output)
    assert [w["workload"] for w in data["workloads"]] == ["support"]
    explained = run(gw, key, "explain", "-m", "gpt-4o", "--prompt-tokens", "5000")
    assert explained.exit_code == 0, explained.output
    assert "rule long-prompts" in explained.output and "claude" in explained.output
    data = json.loads(run(gw, key, "explain", "-m", "gpt-4o", "--tag", "tier=gold", "--format", "json").output)
    assert data["rule"] == "gold" and data["strategy"] == "least-latency"


def test_mistakes_are_one_line(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(ROUTED)
    key = gw.create_key("support").secret
    unknown = run(gw, key, "explain", "-m", "nope")
    assert unknown.exit_code == 1 and "nope" in str(unknown.exception)
    bad_tag = run(gw, key, "explain", "-m", "gpt-4o", "--tag", "gold")
    assert bad_tag.exit_code == 1 and "KEY=VALUE" in str(bad_tag.exception)
    other = run(gw, key, "show", "-w", "test")
    assert other.exit_code == 1 and "no workload" in str(other.exception)
