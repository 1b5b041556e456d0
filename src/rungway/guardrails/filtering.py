"""Apply one direction's policy to text: scan with each rule's detector, then block, redact or flag.

Pure and CPU only, shared by the input step and the answer guard. A `TextFilter` lives for one call and
direction: placeholders are numbered across every text of the call (two messages naming one e-mail get one
`[EMAIL_1]`), and what the `restore: true` rules replaced is kept to be put back in the answer.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rungway.domain.guard_hits import GuardHit
from rungway.guardrails.config import DirectionPolicy, GuardRule
from rungway.guardrails.public import AsyncDetector, Finding, ScanContext

__all__ = ["Filtered", "TextFilter", "restore_placeholders"]

_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z0-9_]*_[0-9]+\]")


@dataclass(slots=True)
class Filtered:
    """One text after the policy: the text to send on, the hits, and the first blocking hit if any."""

    text: str
    hits: list[GuardHit]
    blocked: GuardHit | None = None


@dataclass(slots=True)
class TextFilter:
    """One call's filter for one direction (`input` or `output`)."""

    policy: DirectionPolicy
    direction: str
    restorable: dict[str, str] = field(default_factory=dict)  # placeholder -> value, for `restore: true` rules
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    def findings(self, text: str) -> list[tuple[GuardRule, Finding]]:
        found: list[tuple[GuardRule, Finding]] = []
        for rule in self.policy.rules:
            hits = rule.detector.scan(text)
            if hits:  # the usual case is none: no generator, no extend
                found.extend((rule, f) for f in hits)
        return found

    async def ajudged(self, text: str, ctx: ScanContext) -> list[tuple[GuardRule, Finding]]:
        """The async detectors' findings (judges, run together); the sync ones are left to `findings`."""
        judges = [(r, r.detector) for r in self.policy.rules if isinstance(r.detector, AsyncDetector)]
        if not judges:
            return []
        answers = await asyncio.gather(*(d.ascan(text, ctx) for _, d in judges))
        return [(rule, f) for (rule, _), found in zip(judges, answers, strict=True) for f in found]

    @property
    def judges(self) -> bool:
        return self.policy.judged

    def apply(self, text: str, found: Sequence[tuple[GuardRule, Finding]] | None = None) -> Filtered:
        """Scan (unless `found` is given) and redact `text`; the caller decides what a block does."""
        pairs = self.findings(text) if found is None else found
        if not pairs:
            return Filtered(text, [])
        hits = [GuardHit(rule.name, f.rule, self.direction, f.action or rule.action) for rule, f in pairs]
        blocked = next((h for h in hits if h.action == "block"), None)
        redactions = [(rule, f) for rule, f in pairs if (f.action or rule.action) == "redact" or blocked is not None]
        return Filtered(self.redact(text, redactions) if redactions else text, hits, blocked)

    def redact(self, text: str, pairs: Sequence[tuple[GuardRule, Finding]]) -> str:
        """Each finding becomes a typed placeholder; overlapping findings merge into the first one's."""
        parts: list[str] = []
        cursor = 0
        for rule, f in sorted(pairs, key=lambda p: (p[1].start, -p[1].end)):
            start, end = max(cursor, f.start), min(len(text), f.end)
            if start >= end:
                continue
            value = text[start:end]
            placeholder = self._placeholder(f.kind, value, text)
            if rule.restore and rule.action == "redact":
                self.restorable[placeholder] = value
            parts.append(text[cursor:start])
            parts.append(placeholder)
            cursor = end
        parts.append(text[cursor:])
        return "".join(parts)

    def _placeholder(self, kind: str, value: str, text: str) -> str:
        found = self._by_value.get((kind, value))
        if found is not None:
            return found
        count = self._counts.get(kind, 0) + 1
        placeholder = f"[{kind}_{count}]"
        while placeholder in text:  # the caller's own text holds this literal: restoring must not touch it
            count += 1
            placeholder = f"[{kind}_{count}]"
        self._counts[kind] = count
        self._by_value[(kind, value)] = placeholder
        return placeholder


def restore_placeholders(text: str, mapping: dict[str, str]) -> str:
    """The values the input side redacted (with `restore: true`) put back where the answer echoes them."""
    if not mapping or "[" not in text:
        return text
    return _PLACEHOLDER.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)
