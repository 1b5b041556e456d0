"""Typed-placeholder redaction: findings become `[EMAIL_1]`, `[CARD_2]`... and a map back to the values.

The same value gets the same placeholder everywhere in the text (so a model still sees that two mentions
are one person), overlapping findings merge into one span named after the surest of them, and a placeholder
the text already contains literally is skipped, so restoring never rewrites the caller's own text. `restore`
puts the values back into an answer that echoes the placeholders.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from rungway.guardrails.detectors.base import Finding

__all__ = ["redact", "restore"]

_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z0-9_]*_[0-9]+\]")


def _merged(text: str, findings: Sequence[Finding]) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str, float]] = []
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        start, end = max(0, f.start), min(len(text), f.end)
        if start >= end:
            continue
        if spans and start < spans[-1][1]:
            last_start, last_end, last_kind, last_score = spans[-1]
            surer = (f.score, end - start) > (last_score, last_end - last_start)
            kind, score = (f.kind, f.score) if surer else (last_kind, last_score)
            spans[-1] = (last_start, max(last_end, end), kind, score)
        else:
            spans.append((start, end, f.kind, f.score))
    return [(start, end, kind) for start, end, kind, _ in spans]


def redact(text: str, findings: Sequence[Finding]) -> tuple[str, dict[str, str]]:
    """The text with each finding replaced by a typed placeholder, and the map placeholder -> original value."""
    mapping: dict[str, str] = {}
    by_value: dict[tuple[str, str], str] = {}
    counts: dict[str, int] = {}
    parts: list[str] = []
    cursor = 0
    for start, end, kind in _merged(text, findings):
        value = text[start:end]
        placeholder = by_value.get((kind, value))
        if placeholder is None:
            counts[kind] = counts.get(kind, 0) + 1
            placeholder = f"[{kind}_{counts[kind]}]"
            while placeholder in text:  # the text already holds this literal: restore must not touch it
                counts[kind] += 1
                placeholder = f"[{kind}_{counts[kind]}]"
            by_value[(kind, value)] = placeholder
            mapping[placeholder] = value
        parts.append(text[cursor:start])
        parts.append(placeholder)
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts), mapping


def restore(text: str, mapping: Mapping[str, str]) -> str:
    """Put the original values back for every placeholder of `mapping` found in `text` (others stay)."""
    if not mapping:
        return text
    return _PLACEHOLDER.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)
