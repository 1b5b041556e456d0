"""`online_evals:` parsing: the scorers, bounds, filters and caps; every mistake names the file, line, key and fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from rungway.errors import ConfigError
from rungway.online_evals.config import parse_online_evals
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway, write_config

GOOD = """
online_evals:
  workers: 2
  queue_size: 500
  judge_model: gpt-4o-mini
  daily_cost_cap_usd: 2
  workloads:
    support:
      daily_cost_cap_usd: 5
      scorers:
        helpful:
          assert: {type: llm-rubric, value: "Answers politely"}
          sample: 0.1
          filter: {model: gpt-4o-mini, prompt: support-answer, prompt_version: 3, tags: {tier: gold}}
        no-apology:
          assert: {type: not-icontains, value: "I apologize"}
"""


def test_a_whole_section_is_read_into_typed_settings() -> None:
    config = parse_online_evals(yaml.safe_load(GOOD)["online_evals"])
    assert (config.workers, config.queue_size, config.judge_model) == (2, 500, "gpt-4o-mini")
    assert config.cap_usd("support") == 5.0 and config.cap_usd("elsewhere") == 2.0
    helpful, apology = config.workloads["support"].scorers
    assert helpful.spec == {"type": "llm-rubric", "value": "Answers politely"} and helpful.sample == 0.1
    assert helpful.filter.prompt_version == 3 and dict(helpful.filter.tags) == {"tier": "gold"}
    assert apology.sample == 0.1 and apology.filter.to_json() == {}


def test_an_absent_section_scores_nothing() -> None:
    config = parse_online_evals(None)
    assert config.workloads == {} and config.queue_size == 10_000


S = "online_evals:\n  workloads:\n    w:\n      scorers:\n        s:\n          "


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("online_evals:\n  workers: 0\n", "online_evals.workers: expected a number from 1 to 64"),
        ("online_evals:\n  queue_size: 1.5\n", "online_evals.queue_size: expected a whole number"),
        ("online_evals:\n  wokers: 2\n", "did you mean `workers`"),
        (
            S + "assert: {type: length, value: {max: 5}}\n          sample: 0\n",
            "online_evals.workloads.w.scorers.s.sample: expected a number from 1e-06 to 1",
        ),
        (
            S + "assert: {type: lenght}\n",
            "did you mean 'length'",
        ),
        (
            S + "assert: {type: python, value: a.b}\n",
            "online_evals.workloads.w.scorers.s.assert",
        ),
        (
            S + "assert: {type: length, value: {max: 5}}\n          filter: {modle: x}\n",
            "did you mean `model`",
        ),
        (
            S + "assert: {type: llm-rubric, value: x}\n",
            "no judge model is set",
        ),
        (
            "online_evals:\n  workloads:\n    w:\n      daily_cost_cap_usd: -1\n",
            "daily_cost_cap_usd: expected a number",
        ),
    ],
)
def test_a_mistake_names_the_key_and_fix(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_online_evals(yaml.safe_load(text)["online_evals"], "rungway.yaml")
    message = str(error.value)
    assert expected in message and message.startswith("rungway.yaml") and "Fix:" in message


def test_a_mistake_in_the_file_names_its_line(tmp_path: Path) -> None:
    text = SIMULATOR_CONFIG.replace("{store_url}", f"sqlite:///{tmp_path}/x.db")
    text += (
        "online_evals:\n  workloads:\n    test:\n      scorers:\n        s:\n          sample: 2\n"
        "          assert: {type: length, value: {max: 5}}\n"
    )
    with pytest.raises(ConfigError) as error:
        write_config(tmp_path, text)
    lines = text.splitlines()
    line = next(i for i, row in enumerate(lines, 1) if "sample: 2" in row)
    assert f"rungway.yaml:{line}: online_evals.workloads.test.scorers.s.sample" in str(error.value)


def test_the_server_refuses_a_judge_model_it_does_not_serve(gateway_factory: Callable[..., Gateway]) -> None:
    text = SIMULATOR_CONFIG + "online_evals:\n  judge_model: gpt-5-judge\n"
    with pytest.raises(ConfigError) as error:
        gateway_factory(text)
    assert "online_evals.judge_model: no model 'gpt-5-judge' under `models:`" in str(error.value)
    assert "Fix: name one of" in str(error.value)
