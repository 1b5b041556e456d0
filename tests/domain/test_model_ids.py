"""Which upstream model ids name a dated snapshot (a pinned model)."""

from __future__ import annotations

import pytest

from rungway.domain.model_ids import is_dated_snapshot


@pytest.mark.parametrize(
    ("model_id", "pinned"),
    [
        ("gpt-4o-2024-08-06", True),
        ("claude-sonnet-4-20250514", True),
        ("claude-3-5-sonnet@20240620", True),
        ("gpt-4o", False),
        ("gpt-4o-mini", False),
        ("claude-3-5-sonnet-latest", False),
    ],
)
def test_dated_snapshots_are_recognised_as_pinned(model_id: str, pinned: bool) -> None:
    assert is_dated_snapshot(model_id) is pinned
