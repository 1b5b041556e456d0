"""The Cache-Control request header, read as HTTP caches read it."""

from __future__ import annotations

import pytest

from rungway.caching.cache_control import CallCachePolicy, parse_cache_control


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, CallCachePolicy(True, True, None)),
        ("no-store", CallCachePolicy(False, False, None)),
        ("No-Cache", CallCachePolicy(False, True, None)),
        ("max-age=60", CallCachePolicy(True, True, 60.0)),
        ("max-age=0", CallCachePolicy(False, True, 0.0)),
        ('max-age="30", private', CallCachePolicy(True, True, 30.0)),
        ("max-age=-1", CallCachePolicy(True, True, None)),
        ("max-age=abc, unknown-directive", CallCachePolicy(True, True, None)),
        ("max-age=" + "9" * 50, CallCachePolicy(True, True, None)),
    ],
)
def test_directives(header: str | None, expected: CallCachePolicy) -> None:
    assert parse_cache_control(header) == expected
