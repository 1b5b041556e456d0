"""`prompts:` in rungway.yaml: the review policy per workload, refused with file, line and fix when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from rungway.capability import registered_sections
from rungway.errors import ConfigError
from rungway.prompts.config import PROMPTS_SECTION, PromptsConfig, ReviewPolicy, parse_prompts
from rungway.settings.config import load_config
from tests.servers import environment


def test_defaults_protect_production_with_one_approval() -> None:
    config = parse_prompts(None)
    assert config == PromptsConfig()
    assert config.policy_for("any") == config.policy_for(None) == ReviewPolicy(frozenset({"production"}), 1)


def test_a_workload_policy_overrides_only_what_it_sets() -> None:
    config = parse_prompts(
        {
            "protected_labels": ["production", "staging"],
            "approvals_required": 1,
            "refresh_s": 0.5,
            "workloads": {"fast": {"approvals_required": 0}, "strict": {"approvals_required": 2}},
        }
    )
    assert config.refresh_s == 0.5
    assert config.policy_for("fast") == ReviewPolicy(frozenset({"production", "staging"}), 0)
    assert config.policy_for("strict").approvals_required == 2
    assert config.policy_for("other") == config.default == ReviewPolicy(frozenset({"production", "staging"}), 1)


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ({"approvals_required": 6}, "prompts.approvals_required"),
        ({"approvals_required": True}, "prompts.approvals_required"),
        ({"protected_labels": ["latest"]}, "prompts.protected_labels"),
        ({"protected_labels": "production"}, "prompts.protected_labels"),
        ({"refresh_s": 0}, "prompts.refresh_s"),
        ({"workloads": {"w": {"approvals_requried": 2}}}, "prompts.workloads.w.approvals_requried"),
        ({"workloads": {"w": 2}}, "prompts.workloads.w"),
        ({"protected": ["x"]}, "prompts.protected"),
        ("yes", "prompts"),
    ],
)
def test_bad_values_are_refused_naming_the_key(raw: object, where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_prompts(raw, "conf.yaml")
    assert f"{where}:" in str(caught.value) and "Fix:" in str(caught.value)


def test_the_section_is_registered_and_errors_carry_the_line(tmp_path: Path) -> None:
    assert PROMPTS_SECTION in registered_sections()
    path = tmp_path / "rungway.yaml"
    path.write_text("prompts:\n  workloads:\n    test:\n      approvals_required: 9\n")
    with pytest.raises(ConfigError, match=r"rungway.yaml:4: prompts.workloads.test.approvals_required"):
        load_config(path, environment(), registered_sections())
    path.write_text("prompts:\n  workloads:\n    test:\n      approvals_required: 2\n")
    config = load_config(path, environment(), registered_sections()).section(PROMPTS_SECTION)
    assert config.policy_for("test").approvals_required == 2
