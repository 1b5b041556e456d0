"""Upstream model ids: which ones name a dated snapshot that the provider will not change under you.

The gateway records on each call whether the model it resolved was pinned (a dated snapshot, or a
route marked `pinned: true`), and the maturity assessment judges model pinning from that record, so
this rule is shared by both and lives below them.
"""

from __future__ import annotations

import re

__all__ = ["is_dated_snapshot"]

_DATED_SNAPSHOT = re.compile(r"(?:[-@_](?:19|20)\d{2}-?\d{2}-?\d{2})(?:-v\d+(?::\d+)?)?$")


def is_dated_snapshot(model_id: str) -> bool:
    """`gpt-4o-2024-08-06`, `claude-sonnet-4-20250514`, `claude-3-5-sonnet@20240620` are pinned snapshots."""
    return bool(_DATED_SNAPSHOT.search(model_id))
