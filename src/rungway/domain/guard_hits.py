"""A guardrail hit as the core records it: which rule, which direction, what was done; never the value.

The gateway core knows no detector: a capability's filters append `GuardHit`s to the call
(`CallContext.guard_hits`), and the core writes them to the request log (`requests.guardrails`, one bounded
text), the llm span and `/metrics`. Every field comes from configuration or a detector's rule names, so
nothing a caller sent can reach a record through a hit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["DIRECTIONS", "GUARD_ACTIONS", "MAX_HITS_TEXT", "GuardHit", "hits_text"]

DIRECTIONS = ("input", "output")
GUARD_ACTIONS = ("block", "redact", "flag")
MAX_HITS_TEXT = 512  # the request log's `guardrails` column


@dataclass(frozen=True, slots=True)
class GuardHit:
    """One rule that matched a call's text: `detector` (a configured name), `rule` (e.g. `pii.email`),
    `direction` (`input` or `output`) and the `action` the policy took (`block`, `redact`, `flag`)."""

    detector: str
    rule: str
    direction: str
    action: str

    def label(self) -> str:
        return f"{self.direction}:{self.rule}:{self.action}"


def hits_text(hits: Sequence[GuardHit], limit: int = MAX_HITS_TEXT) -> str | None:
    """`input:pii.email:redact,output:secrets.aws_access_key:block`: each distinct hit once, in order,
    cut at a whole entry within `limit` characters (a trailing `,...` says some were left out)."""
    if not hits:
        return None
    seen: list[str] = []
    for hit in hits:
        label = hit.label()
        if label not in seen:
            seen.append(label)
    out = ""
    for label in seen:
        candidate = f"{out},{label}" if out else label
        if len(candidate) > limit - 4:
            return f"{out},..." if out else label[: limit - 3] + "..."
        out = candidate
    return out
