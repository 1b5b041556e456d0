"""The `assessment:` section: defaults, and errors that name the file, the key path and the fix."""

from __future__ import annotations

import pytest

from rungway.assessment.config import AssessmentSettings, parse_assessment
from rungway.errors import ConfigError

CHECKS = {"detailed_traces", "user_cost_attribution"}


def test_defaults_are_weekly_with_no_webhook() -> None:
    s = parse_assessment(None, "rungway.yaml", CHECKS)
    assert s == AssessmentSettings() and s.interval_s == 7 * 86400 and s.webhook is None


def test_a_full_section_parses() -> None:
    raw = {
        "interval": "1d",
        "window": "14d",
        "thresholds": {"user_cost_attribution": 0.99},
        "target_stages": {"internal": 1},
        "webhook": "https://hooks.example/x",
    }
    s = parse_assessment(raw, "rungway.yaml", CHECKS)
    assert s.interval_s == 86400 and s.window_days == 14 and s.thresholds == {"user_cost_attribution": 0.99}
    assert s.target_stages == {"internal": 1} and s.webhook is not None and s.webhook.retries == 3
    assert parse_assessment({"interval": "off"}, "rungway.yaml", CHECKS).interval_s is None


@pytest.mark.parametrize(
    ("raw", "key_path", "fix"),
    [
        ({"interval": "weekly"}, "assessment.interval", "7d"),
        ({"thresholds": {"user_cost_attribution": 95}}, "assessment.thresholds.user_cost_attribution", "0.95"),
        ({"thresholds": {"nope": 0.9}}, "assessment.thresholds.nope", "detailed_traces"),
        ({"target_stages": {"public": 3}}, "assessment.target_stages.public", "customer-facing"),
        ({"webhook": {"url": "ftp://x"}}, "assessment.webhook.url", "https://"),
        ({"schedule": "7d"}, "assessment.schedule", "interval"),
        ({"window": "36h"}, "assessment.window", "30d"),
        ({"max_attestation": "2y"}, "assessment.max_attestation", "at most 1y"),
        ({"max_attestation": "6m"}, "assessment.max_attestation", "6mo"),  # a minute or a month? refused
        ({"refresh": "30m"}, "assessment.refresh", "30min"),
    ],
)
def test_mistakes_name_the_key_path_and_the_fix(raw: dict[str, object], key_path: str, fix: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_assessment(raw, "rungway.yaml", CHECKS)
    message = error.value.message
    assert message.startswith(f"rungway.yaml: {key_path}:") and "Fix:" in message and fix in message


def test_server_refuses_to_start_with_a_bad_assessment_section(gateway_factory: object) -> None:
    from tests.assessment.helpers import ASSESS_CONFIG

    with pytest.raises(ConfigError, match=r"assessment\.interval"):
        gateway_factory(ASSESS_CONFIG + "assessment:\n  interval: sometimes\n")  # type: ignore[operator]


def test_max_attestation_defaults_to_90_days_and_may_be_raised_to_a_year() -> None:
    assert parse_assessment(None, "rungway.yaml", CHECKS).max_attestation_s == 90 * 86400
    assert parse_assessment({"max_attestation": "1y"}, "rungway.yaml", CHECKS).max_attestation_s == 365 * 86400
    assert parse_assessment({"max_attestation": "6mo"}, "rungway.yaml", CHECKS).max_attestation_s == 180 * 86400
