"""Durations and instants as people type them."""

from __future__ import annotations

import re

import pytest

from rungway.domain.timespec import (
    DAY,
    HOUR,
    MINUTE,
    WEEK,
    TimeSpecError,
    parse_duration,
    parse_instant,
    parse_period,
    positive_duration,
)

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("30m", 1800), ("24h", 86400), ("7d", 604800), ("2W", 1209600), ("1.5h", 5400)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_instants_from_durations_iso_dates_and_epoch_seconds() -> None:
    assert parse_instant("7d", NOW) == NOW - 7 * 86400
    assert parse_instant("2023-11-14T22:13:20Z", NOW) == NOW
    assert parse_instant("2023-11-14T23:13:20+01:00", NOW) == NOW
    assert parse_instant("2023-11-14", NOW) == NOW - (22 * 3600 + 13 * 60 + 20)
    assert parse_instant(str(NOW), 0) == NOW


@pytest.mark.parametrize("text", ["yesterday", "7", "d7", "-3h", ""])
def test_unreadable_text_says_what_to_write(text: str) -> None:
    with pytest.raises(TimeSpecError, match="7d"):
        parse_duration(text) if text == "7" else parse_instant(text, NOW)


@pytest.mark.parametrize(
    ("text", "days"),
    [("90d", 90), ("12w", 84), ("3mo", 90), ("1y", 365), ("30min", 30 / 1440), ("12h", 0.5), ("1.5mo", 45)],
)
def test_periods_read_as_people_write_them(text: str, days: float) -> None:
    assert parse_period(text) == pytest.approx(days * 86400)


@pytest.mark.parametrize(
    ("text", "says"),
    [("1m", "ambiguous (a minute or a month?): write 1min or 1mo"), ("3x", "unknown unit"), ("0d", "not a period")],
)
def test_a_bare_m_is_refused_as_ambiguous_with_the_fix(text: str, says: str) -> None:
    with pytest.raises(TimeSpecError, match=re.escape(says)):
        parse_period(text)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("45s", 45.0), ("30m", 1800.0), ("12h", 43200.0), ("7d", 604800.0), ("2w", 1209600.0), (90, 90.0), (1.5, 1.5)],
)
def test_a_configured_length_of_time_is_seconds_or_a_duration(value: object, seconds: float) -> None:
    assert positive_duration(value) == seconds


@pytest.mark.parametrize("value", [0, -5, "0s", "0d", True, False, None, "7", "soon", "-3h", [], {"d": 7}])
def test_a_configured_length_of_time_that_is_none_or_not_above_zero_is_refused(value: object) -> None:
    assert positive_duration(value) is None


def test_the_unit_lengths_agree_with_the_durations() -> None:
    assert tuple(parse_duration(t) for t in ("1m", "1h", "1d", "1w")) == (MINUTE, HOUR, DAY, WEEK)
