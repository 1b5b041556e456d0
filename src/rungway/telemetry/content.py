"""What a span stores as content: the workload's capture rule and the size caps, in one place.

Both span sources end here: OTLP spans that cannot be stored as received, and the gateway's llm
span. Order matters: attributes are capped first (`tracing.max_attribute_chars` per value,
`tracing.max_span_chars` per span), so that redaction and serialisation cost at most the cap
whatever a caller sends; a cut never ends inside a secret under `redacted` capture. What was cut is
recorded on the span as the attribute `rungway.truncated`: `{what: original size in characters}`.

The gateway hands its span over as a `PendingSpan`: the CPU work proportional to the payload
(capping, redaction, JSON) runs in the span writer's thread, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from rungway.domain.redaction import redact_value, safe_cut
from rungway.domain.spans import NAME_CHARS, SpanRow
from rungway.domain.workloads import ContentCapture
from rungway.telemetry import mapping

TRUNCATED_KEY = "rungway.truncated"
# `_Capper` counts a string by its length, a key by its length and any other scalar as 8: at most 8 per
# byte of the value's JSON, so content whose JSON is under an eighth of the caps needs no capping walk.
COUNTED_CHARS_PER_JSON_BYTE = 8


@dataclass(frozen=True, slots=True)
class ContentLimits:
    """Per-value and per-span caps on stored content, in characters (`tracing:` in rungway.yaml)."""

    max_attribute_chars: int = 131_072
    max_span_chars: int = 1_048_576

    @property
    def as_received_bytes(self) -> int:
        """A protobuf span up to this size cannot break either cap, so it is stored as received."""
        return min(self.max_attribute_chars, self.max_span_chars)


def _size(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict | list | tuple):
        return len(orjson.dumps(value, default=str))
    return 8


class _Capper:
    """Cuts values to a budget; `redacting` keeps a cut from ending inside a secret."""

    def __init__(self, redacting: bool) -> None:
        self.redacting = redacting

    def cut(self, value: Any, budget: int) -> tuple[Any, int, bool]:
        """(value within `budget` characters, characters used, whether anything was cut)."""
        if isinstance(value, str):
            if len(value) <= budget:
                return value, len(value), False
            return (safe_cut(value, budget) if self.redacting else value[:budget]), budget, True
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            used = 0
            for key, item in value.items():
                if used + len(key) >= budget:
                    return out, used, True
                kept, size, cut = self.cut(item, budget - used - len(key))
                out[key] = kept
                used += size + len(key)
                if cut:
                    return out, used, True
            return out, used, False
        if isinstance(value, list | tuple):
            items: list[Any] = []
            used = 0
            for item in value:
                if used >= budget:
                    return items, used, True
                kept, size, cut = self.cut(item, budget - used)
                items.append(kept)
                used += size
                if cut:
                    return items, used, True
            return items, used, False
        return value, 8, False


def cap_content(
    attributes: dict[str, Any], events: list[dict[str, Any]] | None, limits: ContentLimits, redacting: bool
) -> tuple[dict[str, Any], list[dict[str, Any]] | None, dict[str, int]]:
    """Attributes and events within the caps, and what was cut (`{key: original size}`)."""
    capper = _Capper(redacting)
    left = limits.max_span_chars
    cuts: dict[str, int] = {}
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        kept, used, cut = capper.cut(value, max(0, min(limits.max_attribute_chars, left - len(key))))
        out[key] = kept
        left = max(0, left - used - len(key))
        if cut:
            cuts[key] = _size(value)
    if events:
        kept_events, _, cut = capper.cut(events, max(0, left))
        if cut:
            cuts["events"] = _size(events)
        events = kept_events
    return out, events, cuts


def protect(
    attributes: dict[str, Any],
    events: list[dict[str, Any]] | None,
    capture: ContentCapture,
    limits: ContentLimits,
    name: str = "",
) -> bytes:
    """The stored content as JSON: attributes (and events) after the capture rule and the caps."""
    if capture is ContentCapture.METADATA_ONLY:
        attributes = {k: v for k, v in attributes.items() if not mapping.is_content_key(k)}
        events = [{"name": e["name"], "time": e["time"]} for e in events] if events else None
    redacting = capture is ContentCapture.REDACTED
    if len(name) <= NAME_CHARS:
        whole = {"attributes": attributes, "events": events} if events else {"attributes": attributes}
        blob = orjson.dumps(whole, default=str)
        if len(blob) * COUNTED_CHARS_PER_JSON_BYTE <= limits.as_received_bytes:
            # Nothing can be cut: the caps' own count of a value is at most 8x its JSON size.
            if not redacting:
                return blob
            if events:
                return orjson.dumps(
                    {"attributes": redact_value(attributes), "events": redact_value(events)}, default=str
                )
            return orjson.dumps({"attributes": redact_value(attributes)}, default=str)
    attributes, events, cuts = cap_content(attributes, events, limits, redacting)
    if redacting:
        attributes = redact_value(attributes)
        events = redact_value(events) if events else None
    if len(name) > NAME_CHARS:
        cuts["name"] = len(name)
    if cuts:
        attributes[TRUNCATED_KEY] = cuts
    content: dict[str, Any] = {"attributes": attributes}
    if events:
        content["events"] = events
    return orjson.dumps(content, default=str)


class PendingSpan:
    """A span whose content is built later, in a writer's thread: `row` with empty content.

    Built once: the store's writer and the export writer share the result."""

    __slots__ = ("_built", "attributes", "capture", "limits", "row")

    def __init__(self, row: SpanRow, attributes: dict[str, Any], capture: ContentCapture, limits: ContentLimits):
        self.row = row
        self.attributes = attributes
        self.capture = capture
        self.limits = limits
        self._built: SpanRow | None = None

    def ready(self) -> SpanRow:
        if self._built is None:
            self._built = self.row._replace(content=protect(self.attributes, None, self.capture, self.limits))
        return self._built


SpanRecord = SpanRow | PendingSpan


def ready_rows(batch: Sequence[SpanRecord]) -> list[SpanRow]:
    """Rows with their content built (called in a writer thread)."""
    return [item.ready() if isinstance(item, PendingSpan) else item for item in batch]


__all__ = ["TRUNCATED_KEY", "ContentLimits", "PendingSpan", "SpanRecord", "cap_content", "protect", "ready_rows"]
