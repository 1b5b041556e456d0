"""`pinning:` in rungway.yaml: pins, policy and upgrade gate per workload, refused with file, line and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from rungway.capability import registered_sections
from rungway.errors import ConfigError
from rungway.models.pins.config import PINNING_SECTION, UpgradeGate, WorkloadPolicy, parse_pinning
from rungway.settings.config import load_config
from tests.servers import environment


def test_the_contract_example_parses_and_unlisted_workloads_get_the_default() -> None:
    config = parse_pinning({"refresh": "10s", "workloads": {"support": {
        "pins": {"gpt-4o": "gpt-4o-2024-08-06"}, "approved_only": True, "floating_aliases": "refuse",
        "upgrade_gate": {"max_regressions": 0, "max_cost_increase": 0.2, "max_latency_increase": 0.5}}}})  # fmt: skip
    assert config.refresh_s == 10.0
    assert config.policy_for("support") == WorkloadPolicy(
        {"gpt-4o": "gpt-4o-2024-08-06"}, True, "refuse", UpgradeGate(0, 0.2, 0.5)
    )
    assert config.policy_for("other") == config.policy_for(None) == WorkloadPolicy()


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ({"refresh": "soon"}, "pinning.refresh"),
        ({"workloads": {"w": {"pins": {"gpt-4o": 3}}}}, "pinning.workloads.w.pins.gpt-4o"),
        ({"workloads": {"w": {"pins": ["gpt-4o"]}}}, "pinning.workloads.w.pins"),
        ({"workloads": {"w": {"approved_only": "yes"}}}, "pinning.workloads.w.approved_only"),
        ({"workloads": {"w": {"floating_aliases": "allow"}}}, "pinning.workloads.w.floating_aliases"),
        ({"workloads": {"w": {"upgrade_gate": {"max_regressions": -1}}}}, "pinning.workloads.w.upgrade_gate"),
        ({"workloads": {"w": {"upgrade_gate": {"max_cost_increase": "a"}}}}, "max_cost_increase"),
        ({"workloads": {"w": {"upgrade_gate": {"max_regresions": 1}}}}, "pinning.workloads.w.upgrade_gate"),
        ({"workloads": {"w": {"pin": {}}}}, "pinning.workloads.w.pin"),
        ("yes", "pinning"),
    ],
)
def test_bad_values_are_refused_naming_the_key(raw: object, where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_pinning(raw, "conf.yaml")
    assert where in str(caught.value) and "Fix:" in str(caught.value)


def test_the_section_is_registered_and_errors_carry_the_line(tmp_path: Path) -> None:
    assert PINNING_SECTION in registered_sections()
    path = tmp_path / "rungway.yaml"
    path.write_text("pinning:\n  workloads:\n    test:\n      floating_aliases: maybe\n")
    with pytest.raises(ConfigError, match=r"rungway.yaml:4: pinning.workloads.test.floating_aliases"):
        load_config(path, environment(), registered_sections())
