"""`guardrails:` is validated at start: every error names the file, the line, the key path and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from rungway.errors import ConfigError
from rungway.guardrails.config import GUARDRAILS_SECTION, GuardrailsConfig, parse_guardrails
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import write_config


def load(tmp_path: Path, section: str) -> GuardrailsConfig:
    config = write_config(tmp_path, SIMULATOR_CONFIG.replace("{store_url}", "sqlite://") + section)
    return config.section(GUARDRAILS_SECTION)


def test_absent_section_filters_nothing() -> None:
    config = parse_guardrails(None)
    assert not config.active and config.lookbehind_chars == 256
    assert config.policy_for("anything").input.rules == ()


def test_workload_policy_replaces_the_default_per_direction(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
guardrails:
  lookbehind_chars: 128
  default:
    input: {secrets: {action: block}, pii: {action: redact, restore: true}}
    output: {secrets: {action: block}}
  workloads:
    test:
      input: {terms: {action: block, options: {terms: [project-x]}}}
""",
    )
    assert config.lookbehind_chars == 128
    default = config.policy_for("other")
    assert [(r.name, r.action, r.restore) for r in default.input.rules] == [
        ("secrets", "block", False),
        ("pii", "redact", True),
    ]
    test = config.policy_for("test")
    assert [r.name for r in test.input.rules] == ["terms"] and test.output == default.output
    assert [f.rule for f in test.input.rules[0].detector.scan("about project-x today")] == ["terms.blocked"]


@pytest.mark.parametrize(
    ("section", "where", "says"),
    [
        (
            "guardrails:\n  default:\n    input:\n      pii: {action: hide}\n",
            ":28: guardrails.default.input.pii.action",
            "block, redact, flag",
        ),
        (
            "guardrails:\n  default:\n    input:\n      pi: {action: block}\n",
            ":28: guardrails.default.input.pi",
            "did you mean 'pii'",
        ),
        (
            "guardrails:\n  default:\n    input:\n      terms: {action: block, options: {term: [x]}}\n",
            ":28: guardrails.default.input.terms.options",
            "did you mean 'terms'",
        ),
        (
            "guardrails:\n  default:\n    input:\n      pii: {action: block, restore: true}\n",
            ":28: guardrails.default.input.pii.restore",
            "only `redact` restores",
        ),
        ("guardrails:\n  lookbehind_chars: 1000000\n", ":26: guardrails.lookbehind_chars", "16 to 4096"),
        ("guardrails:\n  defualt: {}\n", ":26: guardrails.defualt", "did you mean `default`"),
        ("guardrails:\n  default:\n    inptu: {}\n", ":27: guardrails.default.inptu", "did you mean `input`"),
    ],
)
def test_mistakes_name_file_line_key_path_and_fix(tmp_path: Path, section: str, where: str, says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load(tmp_path, section)
    message = str(refused.value)
    assert f"rungway.yaml{where}" in message and says in message and "Fix:" in message
