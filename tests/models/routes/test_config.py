"""`deployments:` and `routing:` (models/routes/config.py, table.py): what is accepted, and every mistake
refused at start with the file, the line, the key path and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from rungway.cli.main import cli
from rungway.errors import ConfigError
from rungway.gateway.routing import AttemptPolicy
from rungway.models.routes.config import DEPLOYMENTS_SECTION, ROUTING_SECTION, Strategy
from tests.models.routes.support import BASE, ROUTED, chooser_of, config_of


def test_the_sections_parse_into_deployments_rules_and_policies(tmp_path: Path) -> None:
    config = config_of(tmp_path, ROUTED)
    deployments = config.section(DEPLOYMENTS_SECTION).deployments
    assert deployments["gpt-4o-mini-eu"].weight == 3.0
    assert deployments["gpt-4o-mini-eu"].upstream_model == "gpt-4o-mini-eu-2024-07-18"
    assert deployments["gpt-4o-cheap"].upstream_model is None  # the served model's own id
    routing = config.section(ROUTING_SECTION)
    assert routing.defaults == AttemptPolicy(retries=1, backoff_base_s=0.1, backoff_max_s=4.0,
                                             attempt_timeout_s=30.0, total_timeout_s=120.0)  # fmt: skip
    rules = routing.workloads["support"]
    assert [r.name for r in rules] == ["long-prompts", "gold", "vip", "web"]
    assert rules[0].policy.retries == 0 and rules[0].policy.attempt_timeout_s == 30.0  # override on the defaults
    assert rules[1].strategy is Strategy.LEAST_LATENCY and rules[1].policy.retries == 1
    assert rules[0].when.models == frozenset({"gpt-4o"}) and rules[0].when.prompt_tokens_over == 1000


def test_absent_sections_route_nothing(tmp_path: Path) -> None:
    config = config_of(tmp_path, BASE)
    assert config.section(DEPLOYMENTS_SECTION).deployments == {}
    assert config.section(ROUTING_SECTION).workloads == {}
    chooser = chooser_of(config)
    assert chooser.workloads == {} and set(chooser.defaults) == {"gpt-4o-mini", "gpt-4o", "claude"}


def test_an_extra_deployment_is_priced_like_the_model_it_serves(tmp_path: Path) -> None:
    table = chooser_of(config_of(tmp_path, ROUTED)).table
    eu, own = table.deployments["gpt-4o-mini-eu"], table.deployments["gpt-4o-mini"]
    assert eu.price == own.price and eu.price is not None
    assert table.deployments["gpt-4o-cheap"].input_per_token == pytest.approx(0.1 / 1e6)
    assert [c.route.name for c in table.by_model["gpt-4o-mini"]] == ["gpt-4o-mini", "gpt-4o-mini-eu"]


BAD = [
    # (section text, the key path in the error, a word of the fix)
    ("deployments:\n  x: {serves: nope, provider: sim}\n", "deployments.x.serves", "models:"),
    ("deployments:\n  x: {serves: gpt-4o, provider: nope}\n", "deployments.x.provider", "providers:"),
    ("deployments:\n  x: {serves: gpt-4o, provider: sim, weight: 0}\n", "deployments.x.weight", "positive"),
    ("deployments:\n  x: {serves: gpt-4o, provider: sim, weight: -2}\n", "deployments.x.weight", "positive"),
    ("deployments:\n  x: {serves: gpt-4o, provider: sim, wieght: 2}\n", "deployments.x.wieght", "weight"),
    ("deployments:\n  gpt-4o: {serves: gpt-4o, provider: sim}\n", "deployments.gpt-4o", "own name"),
    ("deployments:\n  x: {provider: sim}\n", "deployments.x.serves", "models:"),
    ("deployments:\n  x: {serves: gpt-4o, provider: sim, price: {input: 1}}\n", "deployments.x.price", "output"),
    ("routing:\n  workloads:\n    support:\n      - {name: a, targets: []}\n", "routing.workloads.support[0].targets",
     "gpt-4o"),
    ("routing:\n  workloads:\n    support:\n      - {name: a, targets: [nope]}\n",
     "routing.workloads.support[0].targets[0]", "deployments:"),
    ("routing:\n  workloads:\n    support:\n      - {name: a, targets: [gpt-4o], strategy: fastest}\n",
     "routing.workloads.support[0].strategy", "least-latency"),
    ("routing:\n  workloads:\n    support:\n      - {name: a, targets: [gpt-4o-mini], strategy: weighted}\n",
     "routing.workloads.support[0].strategy", "add targets"),
    ("routing:\n  workloads:\n    support:\n      - {name: a, targets: [gpt-4o]}\n"
     "      - {name: a, targets: [claude]}\n",
     "routing.workloads.support[1].name", "own name"),
    ("routing:\n  workloads:\n    nobody:\n      - {name: a, targets: [gpt-4o]}\n", "routing.workloads.nobody",
     "workloads:"),
    ("routing:\n  workloads:\n    support:\n      - {name: a, targets: [gpt-4o], when: {modle: gpt-4o}}\n",
     "routing.workloads.support[0].when.modle", "model"),
    ("routing:\n  workloads:\n    support:\n      - {name: a, targets: [gpt-4o], when: {prompt_tokens_over: -1}}\n",
     "routing.workloads.support[0].when.prompt_tokens_over", "8000"),
    ("routing:\n  workloads:\n    support:\n      - {name: a, targets: [gpt-4o], when: {prompt_tokens_over: 10, "
     "prompt_tokens_under: 5}}\n", "routing.workloads.support[0].when.prompt_tokens_under", "larger"),
    ("routing:\n  defaults: {retries: 11}\n", "routing.defaults.retries", "1"),
    ("routing:\n  defaults: {attempt_timeout: soon}\n", "routing.defaults.attempt_timeout", "30s"),
    ("routing:\n  defaults: {attempt_timeout: 60s, total_timeout: 10s}\n", "routing.defaults.total_timeout",
     "attempt_timeout"),
    ("routing:\n  workloads:\n    support: {name: a}\n", "routing.workloads.support", "[{name"),
]  # fmt: skip


@pytest.mark.parametrize(("section", "key_path", "fix"), BAD)
def test_every_mistake_names_file_line_key_path_and_fix(tmp_path: Path, section: str, key_path: str, fix: str) -> None:
    text = BASE + section
    with pytest.raises(ConfigError) as caught:
        chooser_of(config_of(tmp_path, text))
    message = str(caught.value)
    first_line = text.splitlines().index(section.splitlines()[0]) + 1
    assert "rungway.yaml:" in message and f" {key_path}: " in message, message
    assert "Fix: " in message and fix in message.split("Fix: ", 1)[1], message
    line = int(message.split("rungway.yaml:", 1)[1].split(":", 1)[0])
    assert line >= first_line  # the line of the key, inside the section


def test_config_check_refuses_a_bad_route_before_the_server_starts(tmp_path: Path) -> None:
    path = tmp_path / "rungway.yaml"
    path.write_text(
        ROUTED.replace("{store_url}", f"sqlite:///{tmp_path}/r.db").replace(
            "targets: [claude, gpt-4o]\n        retries: 0", "targets: [claud, gpt-4o]\n        retries: 0"
        )
    )
    result = CliRunner().invoke(cli, ["config", "check", str(path)], env={"RUNGWAY_CONFIG": None})
    assert result.exit_code == 1
    assert "routing.workloads.support[0].targets[0]: unknown target 'claud'" in str(result.exception)
    assert "did you mean `claude`?" in str(result.exception)
    path.write_text(ROUTED.replace("{store_url}", f"sqlite:///{tmp_path}/r.db"))
    assert CliRunner().invoke(cli, ["config", "check", str(path)], env={"RUNGWAY_CONFIG": None}).exit_code == 0
