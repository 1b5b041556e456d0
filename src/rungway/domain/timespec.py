"""Points in time as people type them: `7d`, `24h`, `30m`, an ISO date, or epoch seconds.

The CLI (`--since 7d`) and the management API (`?since=7d`) share these rules, so a window
means the same thing everywhere.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

__all__ = ["TimeSpecError", "parse_duration", "parse_instant"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$", re.IGNORECASE)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class TimeSpecError(ValueError):
    """A duration or instant that cannot be read; the message says what to write instead."""


def parse_duration(text: str) -> float:
    """Seconds in `30s`, `30m`, `24h`, `7d` or `2w`."""
    match = _DURATION.match(text)
    if match is None:
        raise TimeSpecError(f"{text!r} is not a duration: write e.g. 30m, 24h, 7d or 2w")
    return float(match.group(1)) * _SECONDS[match.group(2).lower()]


def parse_instant(text: str, now: float) -> float:
    """Epoch seconds for a duration ago (`7d`), an ISO 8601 date/time (UTC unless it says), or epoch seconds."""
    value = text.strip()
    if _DURATION.match(value):
        return now - parse_duration(value)
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise TimeSpecError(
            f"{text!r} is not a time: write a duration ago (7d, 24h, 30m), an ISO date (2025-01-31T12:00Z) "
            "or epoch seconds"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()
