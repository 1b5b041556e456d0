"""How long a caller-supplied value may be, which characters it may hold, and what happens otherwise.

Values a caller chooses (the user, session, tags, the requested model, `metadata`, header values)
end up in store columns of a fixed size (`store/schema.py`, `traces/store.py`), in `/metrics`-free
log rows and in trace rows. PostgreSQL refuses a string longer than its `varchar(n)` column or one
holding NUL, SQLite accepts both: one set of rules applied at the edge keeps the two stores alike
and keeps a single bad value from ever reaching the batch writer.

Each field has one policy:

- `Policy.TRUNCATE`: attribution that must not fail the call (user, session, tags). Control
  characters are removed, the value is cut to its limit, and the call's record names the field
  in its `rungway.cleaned` tag so the change is visible in the log.
- `Policy.REFUSE`: a value the call depends on (the requested model). A caller sending one too
  long or with control characters gets a 400 naming the field, the limit and the fix.

This module is pure (no I/O) so the OTLP mapping and the management API can share it:
`clean_text(value, bound)`, `fits(value, bound)` and `bound.check(value)` are its stable API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "CLEANED_TAG",
    "MAX_METADATA_PAIRS",
    "MAX_TAGS",
    "MODEL",
    "SESSION",
    "TAG_KEY",
    "TAG_VALUE",
    "USER",
    "BoundViolation",
    "CleanedText",
    "FieldBound",
    "Policy",
    "clean_text",
    "fits",
    "has_control_characters",
]

# C0 and C1 control characters (NUL included), DEL, and lone UTF-16 surrogates (which PostgreSQL's
# UTF-8 encoding refuses and which a header decoded with `surrogateescape` may carry).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")

MAX_TAGS = 32
"""Tags kept per call, header and `metadata` together; later ones are dropped (and recorded)."""
MAX_METADATA_PAIRS = 64
"""A `metadata` object with more pairs than this is refused with a 400 (OpenAI allows 16)."""
CLEANED_TAG = "rungway.cleaned"
"""The tag naming the fields that were cut or cleaned, comma-separated, e.g. `user,tags`."""


class Policy(Enum):
    """What the edge does with a value over its limit or holding control characters."""

    TRUNCATE = "truncate"
    REFUSE = "refuse"


class BoundViolation(ValueError):
    """A `Policy.REFUSE` value broke its bound; the message names the field, the limit and the fix."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class CleanedText:
    """A value after cleaning, and whether cleaning changed it."""

    value: str
    changed: bool


@dataclass(frozen=True, slots=True)
class FieldBound:
    """The bound of one caller-supplied field: its name (as the caller knows it), length and policy."""

    field: str
    max_chars: int
    policy: Policy

    def check(self, value: str) -> str:
        """The value, unchanged, if within the bound; `BoundViolation` otherwise (for REFUSE fields)."""
        if len(value) > self.max_chars:
            raise BoundViolation(
                f"{self.field!r} is {len(value)} characters long; the limit is {self.max_chars}. Send a shorter value.",
                self.field,
            )
        if has_control_characters(value):
            raise BoundViolation(
                f"{self.field!r} contains control characters (such as NUL); send printable text only.", self.field
            )
        return value


# Limits are the store's column sizes (requests.user_id, spans.session_id: 256; model_requested: 128).
USER = FieldBound("user", 256, Policy.TRUNCATE)
SESSION = FieldBound("session", 256, Policy.TRUNCATE)
TAG_KEY = FieldBound("tag key", 64, Policy.TRUNCATE)
TAG_VALUE = FieldBound("tag value", 256, Policy.TRUNCATE)
MODEL = FieldBound("model", 128, Policy.REFUSE)


def has_control_characters(value: str) -> bool:
    # isprintable() is one C loop and False for every control character and surrogate: most values end here.
    return not value.isprintable() and _CONTROL.search(value) is not None


def fits(value: str, bound: FieldBound) -> bool:
    """True when `value` needs no cleaning: within the length, no control characters (spaces aside)."""
    return len(value) <= bound.max_chars and value.isprintable()


def clean_text(value: str, bound: FieldBound) -> CleanedText:
    """Control characters removed, surrounding space stripped, cut to `bound.max_chars` characters."""
    stripped = value.strip()
    if fits(stripped, bound):  # the common case: nothing to change
        return CleanedText(stripped, False)
    cleaned = _CONTROL.sub("", stripped).strip()[: bound.max_chars]
    return CleanedText(cleaned, cleaned != stripped)
