"""`audit:` in rungway.yaml: defaults, values, and errors naming the key and the fix."""

from __future__ import annotations

import pytest

from rungway.audit.config import AuditSettings, parse_audit
from rungway.errors import ConfigError


def test_defaults_and_values() -> None:
    assert parse_audit(None) == AuditSettings()
    parsed = parse_audit({"capture": False, "checkpoint_every": 10, "checkpoint_minutes": 0.5, "max_json_bytes": 2048})
    assert parsed == AuditSettings(False, 10, 0.5, 2048)


@pytest.mark.parametrize(
    ("raw", "key"),
    [({"capture": "yes"}, "audit.capture"), ({"checkpoint_every": 0}, "audit.checkpoint_every"),
     ({"checkpoint_minutes": 0}, "audit.checkpoint_minutes"), ({"max_json_bytes": 10}, "audit.max_json_bytes"),
     ({"checkpoint": 5}, "checkpoint"), ([1], "audit")],
)  # fmt: skip
def test_a_bad_value_names_its_key(raw: object, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        parse_audit(raw)
