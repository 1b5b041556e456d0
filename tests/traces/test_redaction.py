"""Redaction of long text in windows gives exactly what one pass gives, secrets across window edges included."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from rungway.traces import redaction

SECRETS = [
    "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
    "rw-abcdefghij0123456789xyzXYZ",
    "AKIAIOSFODNN7EXAMPLE",
    "Bearer " + "t" * 40_000,  # longer than the look-ahead: completed past it
    "password=hunter2",
    "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----",
]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40_000), st.sampled_from(SECRETS)), min_size=1, max_size=6), st.randoms())
def test_windowed_redaction_equals_one_pass_over_the_whole_text(
    plan: list[tuple[int, str]], rnd: random.Random
) -> None:
    filler = "lorem ipsum dolor "
    parts = []
    for gap, secret in plan:
        parts.append((filler * (gap // len(filler) + 1))[:gap])
        parts.append(secret)
    text = "".join(parts) + filler * rnd.randint(0, 3000)
    assert redaction.redact_text(text) == redaction._SECRETS.sub(redaction._replace, text)


def test_a_cut_never_ends_inside_a_secret() -> None:
    text = "x" * 100 + " sk-proj-abcdefghijklmnopqrstuvwxyz012345 tail"
    for limit in range(100, 150):
        kept = redaction.safe_cut(text, limit)
        assert kept == (text[:101] if 101 < limit < 141 else text[:limit])
