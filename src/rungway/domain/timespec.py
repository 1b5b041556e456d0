"""Points in time as people type them: `7d`, `24h`, `30m`, an ISO date, or epoch seconds.

The CLI (`--since 7d`), the management API (`?since=7d`) and the configuration file
(`assessment.interval: 7d`) share these rules, so a window means the same thing everywhere. The
lengths of the units live here too, so no module spells 86400 again.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

__all__ = [
    "DAY",
    "HOUR",
    "MINUTE",
    "WEEK",
    "TimeSpecError",
    "parse_duration",
    "parse_instant",
    "parse_period",
    "positive_duration",
]

MINUTE = 60.0
HOUR = 3_600.0
DAY = 86_400.0
WEEK = 7 * DAY
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$", re.IGNORECASE)
_SECONDS = {"s": 1.0, "m": MINUTE, "h": HOUR, "d": DAY, "w": WEEK}


class TimeSpecError(ValueError):
    """A duration or instant that cannot be read; the message says what to write instead."""


def parse_duration(text: str) -> float:
    """Seconds in `30s`, `30m`, `24h`, `7d` or `2w`."""
    match = _DURATION.match(text)
    if match is None:
        raise TimeSpecError(f"{text!r} is not a duration: write e.g. 30m, 24h, 7d or 2w")
    return float(match.group(1)) * _SECONDS[match.group(2).lower()]


_PERIOD = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$", re.IGNORECASE)
_PERIOD_SECONDS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "min": 60,
    "mins": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
    "mo": 30 * 86400,
    "y": 365 * 86400,
}


def parse_period(text: str) -> float:
    """Seconds in a period as people write one: `90d`, `12w`, `3mo`, `1y`, `30min`, `12h`, `45s`.

    For spans that run to months (an attestation's expiry): a month is `mo` (30 days), a minute
    `min`, and a bare `m` is refused as ambiguous rather than guessed.
    """
    match = _PERIOD.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise TimeSpecError(f"{text!r} is not a period: write e.g. 90d, 12w, 3mo, 1y or 30min")
    number, unit = match.group(1), match.group(2).lower()
    if unit == "m":
        raise TimeSpecError(f"{text!r} is ambiguous (a minute or a month?): write {number}min or {number}mo")
    if unit not in _PERIOD_SECONDS:
        raise TimeSpecError(f"{text!r}: unknown unit {unit!r}; write e.g. 90d, 12w, 3mo, 1y or 30min")
    return float(number) * _PERIOD_SECONDS[unit]


def positive_duration(value: object) -> float | None:
    """A length of time from a configuration file or a form: a number of seconds > 0, or a duration
    above zero (`45s`, `30m`, `12h`, `7d`, `2w`); None when it is neither (the caller says what to write)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if value > 0 else None
    if isinstance(value, str) and _DURATION.match(value):
        seconds = parse_duration(value)
        return seconds if seconds > 0 else None
    return None


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
