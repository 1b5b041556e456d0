"""`anomalies:`: defaults, per-workload overrides, and errors that name the file, line, key path and fix."""

from __future__ import annotations

import pytest
import yaml

from rungway.anomalies.config import AnomaliesConfig, parse_anomalies
from rungway.errors import ConfigError


def test_absent_means_on_with_defaults() -> None:
    config = parse_anomalies(None)
    assert config == AnomaliesConfig()
    assert config.watches("any") and config.settings_for("any").sensitivity == 5.0


def test_per_workload_overrides() -> None:
    raw = yaml.safe_load("""
enabled: false
min_volume: 50
sensitivity: 6
baseline_weeks: 3
workloads:
  support: {enabled: true, min_volume: 100}
  batch: {sensitivity: 8}
""")
    config = parse_anomalies(raw)
    assert not config.watches("other") and config.watches("support") and not config.watches("batch")
    assert config.settings_for("support").min_volume == 100 and config.settings_for("support").sensitivity == 6
    assert config.settings_for("batch").sensitivity == 8 and config.settings_for("batch").baseline_weeks == 3


@pytest.mark.parametrize(
    ("raw", "path", "fix"),
    [
        ({"sensitivity": 1}, "anomalies.sensitivity", "write e.g. 2"),
        ({"min_volume": 0}, "anomalies.min_volume", "write e.g. 1"),
        ({"min_volume": 2.5}, "anomalies.min_volume", "a whole number"),
        ({"enabled": "yes"}, "anomalies.enabled", "write e.g. false"),
        ({"tick_s": 1}, "anomalies.tick_s", "write e.g. 10"),
        ({"workloads": {"a": {"enabled": 1}}}, "anomalies.workloads.a.enabled", "write e.g. false"),
        ({"workloads": {"a": {"sensitivty": 4}}}, "anomalies.workloads.a.sensitivty", "sensitivity"),
        ({"treshold": 3}, "anomalies.treshold", ""),
        ({"workloads": ["a"]}, "anomalies.workloads", "enabled: false"),
        ("on", "anomalies", "sensitivity"),
    ],
)
def test_mistakes_name_the_key_and_the_fix(raw: object, path: str, fix: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_anomalies(raw, "rungway.yaml")
    message = str(caught.value)
    assert path in message and "rungway.yaml" in message
    assert fix in message
