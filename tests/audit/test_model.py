"""Redaction and bounds: a secret is never stored, at any depth, and a large value is kept as its size."""

from __future__ import annotations

import json

from rungway.audit.model import REDACTED, bounded_json, redact


def test_secrets_are_redacted_at_any_depth_but_objects_named_key_are_kept() -> None:
    body = {"name": "ci", "secret": "rw-abc", "nested": [{"admin_key": "x", "Password": "p"}],
            "key": {"id": "key_1", "key_hash": "h"}, "csrf_token": "t",
            "webhook": {"url": "u", "secret": 1}}  # fmt: skip
    assert redact(body) == {"name": "ci", "secret": REDACTED, "nested": [{"admin_key": REDACTED, "Password": REDACTED}],
                            "key": {"id": "key_1", "key_hash": REDACTED}, "csrf_token": REDACTED,
                            "webhook": {"url": "u", "secret": REDACTED}}  # fmt: skip


def test_json_is_canonical_and_bounded() -> None:
    assert bounded_json(None) is None
    assert bounded_json({"b": 1, "a": [2]}) == '{"a":[2],"b":1}'
    assert json.loads(bounded_json({"x": "y" * 5000}, limit=1024) or "") == {"truncated_bytes": 5008}
    assert bounded_json({"n": 2**70, "m": -5}) == '{"m":-5,"n":"1180591620717411303424"}'
    assert bounded_json(b"raw") == '{"unrecorded":"bytes"}'
